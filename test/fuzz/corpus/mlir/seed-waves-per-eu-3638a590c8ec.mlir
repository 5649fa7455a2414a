// waves_per_eu asks the backend for that many waves per SIMD: the kernel
// carries "amdgpu-waves-per-eu" and the backend keeps its registers within
// the 512 / waves_per_eu (rounded down to the allocation granule of 8) that
// this occupancy leaves, spilling if it must. 0 means no request.
//
// The backend drops a request that the workgroup's LDS already rules out
// (e.g. 36 KiB per 256 lanes: one workgroup per CU, one wave per SIMD), so
// the tiles here are small in LDS.
//
// RUN: moec compile %s --arch gfx942 --waves-per-eu 0 --emit llvm | FileCheck %s --check-prefix=LLVM-NONE
// RUN: moec compile %s --arch gfx942 --waves-per-eu 1 --emit llvm | FileCheck %s --check-prefix=LLVM -DW=1
// RUN: moec compile %s --arch gfx942 --waves-per-eu 2 --emit llvm | FileCheck %s --check-prefix=LLVM -DW=2
// RUN: moec compile %s --arch gfx942 --waves-per-eu 4 --emit llvm | FileCheck %s --check-prefix=LLVM -DW=4
// RUN: moec compile %s --arch gfx942 --waves-per-eu 8 --emit llvm | FileCheck %s --check-prefix=LLVM -DW=8
// RUN: moec compile %s --arch gfx90a --waves-per-eu 0 --emit llvm | FileCheck %s --check-prefix=LLVM-NONE
// RUN: moec compile %s --arch gfx90a --waves-per-eu 3 --emit llvm | FileCheck %s --check-prefix=LLVM -DW=3
// RUN: moec compile %s --arch gfx942 --waves-per-eu 4 --emit kernels | FileCheck %s --check-prefix=KERNELS -DW=4
//
// 128x64x16 over 2 waves, asked for 4 waves, keeps within 128 VGPRs without
// spilling, and its 6 KiB of LDS let it run 4 waves per SIMD.
// RUN: moec compile %s --arch gfx942 --waves-per-eu 4 --emit hsaco -o %t.w4 && moec inspect %t.w4 | FileCheck %s --check-prefix=BUDGET128
//
// 128x128x16 over 4 waves: 120 VGPRs hold occupancy at 4 waves per SIMD;
// asked for 5, the kernel drops to 96 (512 / 5 = 102, rounded down to 8s),
// spills what does not fit, and runs 5 waves per SIMD.
// RUN: moec compile %s --arch gfx942 --block-n 128 --num-warps 4 --emit hsaco -o %t.942-0 && moec inspect %t.942-0 | FileCheck %s --check-prefix=OCC4
// RUN: moec compile %s --arch gfx942 --block-n 128 --num-warps 4 --waves-per-eu 5 --emit hsaco -o %t.942-5 && moec inspect %t.942-5 | FileCheck %s --check-prefix=OCC5
// RUN: moec compile %s --arch gfx90a --block-n 128 --num-warps 4 --emit hsaco -o %t.90a-0 && moec inspect %t.90a-0 | FileCheck %s --check-prefix=OCC4
// RUN: moec compile %s --arch gfx90a --block-n 128 --num-warps 4 --waves-per-eu 5 --emit hsaco -o %t.90a-5 && moec inspect %t.90a-5 | FileCheck %s --check-prefix=OCC5

func.func @g(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 64, block_k = 16, num_warps = 2>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}

// LLVM-NONE-NOT: amdgpu-waves-per-eu

// LLVM: define amdgpu_kernel void @g_gemm({{.*}}) #[[ATTRS:[0-9]+]]
// LLVM: attributes #[[ATTRS]] = { {{.*}}"amdgpu-waves-per-eu"="[[W]]"

// KERNELS: llvm.func @g_gemm({{.*}}rocdl.waves_per_eu = [[W]] : i32

// Columns: kernel workgroup vgpr agpr sgpr lds scratch spill(v/s) wave waves/simd limit
// BUDGET128: g_gemm 128x1x1 {{([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])}} 0 {{[0-9]+}} 6144 0 0/0 64 4/8
// OCC4: g_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64 4/8 vgpr
// OCC5: g_gemm 256x1x1 {{([0-9]|[1-8][0-9]|9[0-6])}} 0 {{[0-9]+}} 8192 {{[0-9]+ +[0-9]+/0}} 64 5/8
