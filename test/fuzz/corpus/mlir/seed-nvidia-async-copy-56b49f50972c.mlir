// moec.async_copy on NVIDIA: K tiles staged by cp.async into a ring of
// num_stages LDS buffers, num_stages - 1 tiles ahead, no register prefetch.
// Interior K-contiguous tiles are copied asynchronously (16 bytes per copy,
// .cg); edge tiles and K x N operands (B here) take masked loads and stores.
//
// 64x64x32 bf16, 128 lanes: each operand tile is 64 x 32 x 2 / 16 = 256
// copies, 2 per lane.
//
// RUN: moec-opt %s --moec-lower-to-kernels --canonicalize | FileCheck %s --check-prefix=S2
// RUN: moec compile %s --emit mlir --num-stages 3 | moec-opt --moec-lower-to-kernels --canonicalize | FileCheck %s --check-prefix=S3
// RUN: moec compile %s --emit ptx | FileCheck %s --check-prefix=PTX
// Without the attribute there is no cp.async; --async-copy sets it:
// RUN: sed -e 's/, moec.async_copy//' %s | moec compile - --emit ptx | FileCheck %s --check-prefix=OFF
// RUN: sed -e 's/, moec.async_copy//' %s | moec compile - --emit ptx --async-copy | FileCheck %s --check-prefix=PTX
// num_stages 1 has nothing to overlap: the attribute is ignored.
// RUN: moec compile %s --emit ptx --num-stages 1 | FileCheck %s --check-prefix=OFF

module attributes {moec.target = #moec.target<"sm_90">, moec.async_copy} {
  func.func @bf16_nt(%a: memref<?x4096xbf16>, %b: memref<1024x4096xbf16>,
                     %c: memref<?x1024xbf16>) {
    moec.gemm %a, %b -> %c {
      transpose_b,
      config = #moec.config<block_m = 64, block_n = 64, block_k = 32,
                            group_m = 8, num_warps = 4, num_stages = 2>
    } : memref<?x4096xbf16>, memref<1024x4096xbf16> -> memref<?x1024xbf16>
    return
  }
  func.func @f16_nn(%a: memref<?x4096xf16>, %b: memref<4096x1024xf16>,
                    %c: memref<?x1024xf16>) {
    moec.gemm %a, %b -> %c {
      config = #moec.config<block_m = 64, block_n = 64, block_k = 32,
                            group_m = 8, num_warps = 4, num_stages = 2>
    } : memref<?x4096xf16>, memref<4096x1024xf16> -> memref<?x1024xf16>
    return
  }
}

// Two buffers for num_stages = 2; tile 0 issued before the loop.
// S2-LABEL: gpu.func @bf16_nt_gemm
// S2-SAME: memref<16384xi8
// S2-COUNT-2: nvgpu.device_async_copy %{{.*}}, 8 {bypassL1} : memref<?x?xbf16, #gpu.address_space<global>> to memref<2x64x32xbf16, #gpu.address_space<workgroup>>
// S2-COUNT-2: nvgpu.device_async_copy %{{.*}}, 8 {bypassL1} : memref<?x?xbf16, #gpu.address_space<global>> to memref<2x64x32xbf16, #gpu.address_space<workgroup>>
// S2: nvvm.cp.async.commit.group
// S2: scf.for %{{.*}} -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>) {
// S2-NEXT: nvvm.cp.async.wait.group 0
// S2-NEXT: gpu.barrier
// S2: nvgpu.device_async_copy
// S2: nvvm.cp.async.commit.group
// S2: nvgpu.ldmatrix
// S2: nvgpu.mma.sync
// S2-NOT: gpu.barrier
// S2: scf.yield
// S2-NEXT: }
// S2-NEXT: nvvm.cp.async.wait.group 0
// B (K x N) is transposed into LDS through registers; A is still copied.
// S2-LABEL: gpu.func @f16_nn_gemm
// S2: scf.for
// S2-COUNT-2: nvgpu.device_async_copy {{.*}} : memref<?x?xf16, #gpu.address_space<global>> to memref<2x64x32xf16
// S2-NOT: nvgpu.device_async_copy
// S2: vector.store {{.*}} : memref<2x64x32xf16, #gpu.address_space<workgroup>>, vector<2xf16>
// S2: nvvm.cp.async.commit.group

// S3-LABEL: gpu.func @bf16_nt_gemm
// S3-SAME: memref<24576xi8
// S3: nvvm.cp.async.commit.group
// S3: nvvm.cp.async.commit.group
// S3: scf.for
// S3-NEXT: nvvm.cp.async.wait.group 1
// S3-NEXT: gpu.barrier

// PTX-LABEL: .entry bf16_nt_gemm(
// PTX: .shared .align 16 .b8 __wg_bf16_nt_gemm_0[16384];
// PTX-DAG: cp.async.cg.shared.global [{{.*}}], [{{.*}}], 16;
// PTX-DAG: cp.async.commit_group;
// PTX-DAG: cp.async.wait_group 0;
// PTX-DAG: bar.sync 0;
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX-LABEL: .entry f16_nn_gemm(

// OFF-NOT: cp.async
// OFF: .entry bf16_nt_gemm(
// OFF-NOT: cp.async


// Every buffer of the ring counts against the limit: 8 x (256 + 256) x 32 x 2
// bytes are refused before any kernel is built.
// RUN: not moec compile %s --emit ptx --block-m 256 --block-n 256 --num-warps 8 --num-stages 8 2>&1 | FileCheck %s --check-prefix=TOOBIG
// TOOBIG: error: 'moec.gemm' op LDS use of 262144 bytes (block_m = 256, block_n = 256, block_k = 32, num_stages = 8, epilogue = direct) is over sm_90's limit of 232448 bytes
