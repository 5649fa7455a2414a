// block_m/n/k set the grid (one workgroup per BM x BN tile of C) and the LDS
// the K loop stages A and B in. The builder keeps each operand tile as an
// unpadded [rows][BK] (its 16-byte chunks XOR-swizzled against bank
// conflicts), so with one buffer (num_stages <= 2) the kernel takes
//   LDS = (BM + BN) BK * 2 bytes
// and, for C = 1000 x 600, ceil(1000 / BM) * ceil(600 / BN) workgroups:
//   BM  BN  BK    LDS                               grid
//   64  64  32    128 *  32 * 2 =  8192             16 * 10 = 160
//  128  64  32    192 *  32 * 2 = 12288              8 * 10 =  80
//   64 256  64    320 *  64 * 2 = 40960             16 *  3 =  48
//   16  32  16     48 *  16 * 2 =  1536             63 * 19 = 1197
//  128 128 128    256 * 128 * 2 = 65536              8 *  5 =  40
// The last fills the 64 KiB of gfx90a/gfx942 exactly (with the 16-byte row
// padding it had before it was refused at 69632).
//
// RUN: moec compile %s --arch gfx942 --block-m 64 --block-n 64 --block-k 32 --emit kernels | FileCheck %s --check-prefix=KERNELS -DLDS=8192 -DGRID=160
// RUN: moec compile %s --arch gfx942 --block-m 128 --block-n 64 --block-k 32 --emit kernels | FileCheck %s --check-prefix=KERNELS -DLDS=12288 -DGRID=80
// RUN: moec compile %s --arch gfx942 --block-m 64 --block-n 256 --block-k 64 --emit kernels | FileCheck %s --check-prefix=KERNELS -DLDS=40960 -DGRID=48
// RUN: moec compile %s --arch gfx942 --block-m 16 --block-n 32 --block-k 16 --emit kernels | FileCheck %s --check-prefix=KERNELS -DLDS=1536 -DGRID=1197
// RUN: moec compile %s --arch gfx90a --block-m 128 --block-n 64 --block-k 32 --emit kernels | FileCheck %s --check-prefix=KERNELS -DLDS=12288 -DGRID=80
// RUN: moec compile %s --arch gfx90a --block-m 16 --block-n 32 --block-k 16 --emit kernels | FileCheck %s --check-prefix=KERNELS -DLDS=1536 -DGRID=1197
//
// RUN: moec compile %s --arch gfx942 --block-m 64 --block-n 64 --block-k 32 --emit asm | FileCheck %s --check-prefix=ASM -DLDS=8192
// RUN: moec compile %s --arch gfx942 --block-m 128 --block-n 64 --block-k 32 --emit asm | FileCheck %s --check-prefix=ASM -DLDS=12288
// RUN: moec compile %s --arch gfx942 --block-m 64 --block-n 256 --block-k 64 --emit asm | FileCheck %s --check-prefix=ASM -DLDS=40960
// RUN: moec compile %s --arch gfx942 --block-m 16 --block-n 32 --block-k 16 --emit asm | FileCheck %s --check-prefix=ASM -DLDS=1536
// RUN: moec compile %s --arch gfx90a --block-m 64 --block-n 256 --block-k 64 --emit asm | FileCheck %s --check-prefix=ASM -DLDS=40960
// RUN: moec compile %s --arch gfx90a --block-m 16 --block-n 32 --block-k 16 --emit asm | FileCheck %s --check-prefix=ASM -DLDS=1536
//
// 128x128x128 fits gfx90a/gfx942 exactly and gfx950's 160 KiB easily;
// 128x128x256 (131072 bytes) is over the 64 KiB, which the verifier refuses.
// RUN: moec compile %s --arch gfx942 --block-m 128 --block-n 128 --block-k 128 --num-warps 4 --emit asm | FileCheck %s --check-prefix=ASM -DLDS=65536
// RUN: moec compile %s --arch gfx90a --block-m 128 --block-n 128 --block-k 128 --num-warps 4 --emit kernels | FileCheck %s --check-prefix=KERNELS -DLDS=65536 -DGRID=40
// RUN: not moec compile %s --arch gfx942 --block-m 128 --block-n 128 --block-k 256 --num-warps 4 --emit kernels 2>&1 | FileCheck %s --check-prefix=TOOBIG
// RUN: not moec compile %s --arch gfx90a --block-m 128 --block-n 128 --block-k 256 --num-warps 4 --emit kernels 2>&1 | FileCheck %s --check-prefix=TOOBIG
// TOOBIG: error: 'moec.gemm' op LDS use of 131072 bytes
// RUN: moec compile %s --arch gfx950 --block-m 128 --block-n 128 --block-k 128 --num-warps 4 --emit kernels | FileCheck %s --check-prefix=KERNELS -DLDS=65536 -DGRID=40
// RUN: moec compile %s --arch gfx950 --block-m 128 --block-n 128 --block-k 128 --num-warps 4 --emit hsaco -o %t.950 && moec inspect %t.950 | FileCheck %s --check-prefix=INSPECT -DLDS=65536

func.func @g(%a: memref<1000x512xbf16>, %b: memref<512x600xbf16>, %c: memref<1000x600xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<num_warps = 1>}
    : memref<1000x512xbf16>, memref<512x600xbf16> -> memref<1000x600xbf16>
  return
}

// KERNELS: gpu.launch_func @moec_kernels::@g_gemm blocks in (%c[[GRID]], %c1, %c1) threads in
// KERNELS: llvm.mlir.global internal @__wg_g_gemm_0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<[[LDS]] x i8>
// KERNELS: llvm.func @g_gemm({{.*}}moec.lds_bytes = [[LDS]] : i64

// ASM: .amdhsa_group_segment_fixed_size [[LDS]]{{$}}
// ASM: .group_segment_fixed_size: [[LDS]]{{$}}

// Columns: kernel workgroup vgpr agpr sgpr lds scratch spill(v/s) ...
// INSPECT: g_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} [[LDS]] 0 0/0 64
