// The lane level: the AMD pipeline stopped just before
// moec-convert-kernels-to-llvm (buildKernelToLaneLevelPipeline), which is
// what lib/Emulator executes. It is still MLIR's gpu/cf/arith/vector/memref
// plus amdgpu.mfma and the rocdl buffer ops, with no LLVM functions yet, and
// the LLVM conversion applied to exactly this IR gives the kernel.
// RUN: moec-opt %s --moec-lower-gfx942-lanes | FileCheck %s
// RUN: moec-opt %s --moec-lower-gfx942-lanes | moec-opt --pass-pipeline='builtin.module(gpu.module(moec-convert-kernels-to-llvm,reconcile-unrealized-casts))' | FileCheck %s --check-prefix=LLVM
// CHECK: gpu.func @f_gemm
// CHECK-NOT: scf.
// CHECK-NOT: llvm.func
// CHECK: rocdl.make.buffer.rsrc
// CHECK: rocdl.raw.ptr.buffer.load
// CHECK: cf.cond_br
// CHECK: gpu.barrier
// CHECK: amdgpu.mfma 16x16x16
// CHECK: rocdl.raw.ptr.buffer.store
// CHECK: gpu.return
// LLVM: llvm.func @f_gemm
// LLVM: rocdl.mfma.f32.16x16x16bf16.1k
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @f(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
    moec.gemm %a, %b -> %c {transpose_b, config = #moec.config<block_m = 32, block_n = 32, block_k = 32, num_warps = 1>} : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}
