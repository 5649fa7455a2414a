// CUDA caps static shared memory at 48 KiB; past that an NVIDIA kernel takes
// its LDS as dynamic shared memory, sized by the launch.
//
// 128x128x64, num_stages 3: 2 buffers x (128 + 128) rows x 64 x 2 bytes
// = 65536 bytes: dynamic. 128x128x32, num_stages 2: 16384 bytes: static.
//
// RUN: moec-opt %s --moec-lower-to-kernels | FileCheck %s --check-prefix=IR
// RUN: moec compile %s --emit ptx | FileCheck %s --check-prefix=PTX
// RUN: moec compile %s --emit ptx --num-stages 2 --block-k 32 | FileCheck %s --check-prefix=STATIC
//
// AMD keeps static LDS whatever the size (its limit is the verifier's):
// RUN: moec compile %s --arch gfx950 --emit mlir | moec-opt --moec-lower-to-kernels | FileCheck %s --check-prefix=AMD

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @big(%a: memref<?x4096xbf16>, %b: memref<1024x4096xbf16>,
                 %c: memref<?x1024xbf16>) {
    moec.gemm %a, %b -> %c {
      transpose_b,
      config = #moec.config<block_m = 128, block_n = 128, block_k = 64,
                            num_warps = 8, num_stages = 3>
    } : memref<?x4096xbf16>, memref<1024x4096xbf16> -> memref<?x1024xbf16>
    return
  }
}

// IR: gpu.launch_func @moec_kernels::@big_gemm {{.*}} dynamic_shared_memory_size %c65536_i32
// IR: gpu.func @big_gemm(
// IR-NOT: workgroup(
// IR-SAME: moec.dynamic_lds
// IR-SAME: moec.lds_bytes = 65536
// IR: gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>

// PTX: .extern .shared .align 16 .b8 __dynamic_shmem__0[];
// PTX: .entry big_gemm(
// PTX-NOT: .shared .align

// STATIC: .entry big_gemm(
// STATIC: .shared .align 16 .b8 __wg_big_gemm_0[16384];
// STATIC-NOT: dynamic_shmem

// AMD: gpu.launch_func @moec_kernels::@big_gemm
// AMD-NOT: dynamic_shared_memory_size
// AMD-SAME: args(
// AMD: gpu.func @big_gemm({{.*}}workgroup(%{{.*}} : memref<65536xi8, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// AMD-NOT: gpu.dynamic_shared_memory
