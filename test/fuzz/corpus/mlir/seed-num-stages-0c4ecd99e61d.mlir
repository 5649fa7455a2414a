// num_stages shapes the K loop (Triton-on-ROCm semantics):
//   1: each iteration loads its tile, stores it to LDS, barrier, multiplies,
//      barrier; nothing crosses iterations but the accumulators.
//   2 (and the legacy 0): tile 0 is loaded before the loop; each iteration
//      stores the registers to LDS, barrier, issues the global loads of the
//      next tile before its MFMAs, barrier. The prefetched tile rides in the
//      loop's iter_args (two vector<8xbf16>: one for A, one for B).
//   s > 2: a ring of s - 1 LDS buffers; tiles 0 .. s - 3 reach LDS before
//      the loop, tile s - 2 waits in registers; one barrier per iteration.
// LDS (64x64x32 bf16): one buffer is (64 + 64) 32 * 2 = 8192 bytes;
// stages 3 and 4 hold 2 and 3 of them.
//
// RUN: moec compile %s --arch gfx942 --num-stages 1 --emit kernels | FileCheck %s --check-prefix=S1
// RUN: moec compile %s --arch gfx942 --num-stages 2 --emit kernels | FileCheck %s --check-prefix=S2
// RUN: moec compile %s --arch gfx942 --num-stages 0 --emit kernels | FileCheck %s --check-prefix=S2
// RUN: moec compile %s --arch gfx942 --num-stages 3 --emit kernels | FileCheck %s --check-prefix=S3
// RUN: moec compile %s --arch gfx942 --num-stages 4 --emit kernels | FileCheck %s --check-prefix=S4
// RUN: moec compile %s --arch gfx90a --num-stages 1 --emit kernels | FileCheck %s --check-prefix=S1
// RUN: moec compile %s --arch gfx90a --num-stages 2 --emit kernels | FileCheck %s --check-prefix=S2
// RUN: moec compile %s --arch gfx90a --num-stages 3 --emit kernels | FileCheck %s --check-prefix=S3
//
// In the ISA: the LDS size and the barriers (two per iteration, one from 3 stages).
// RUN: moec compile %s --arch gfx942 --num-stages 1 --emit asm | FileCheck %s --check-prefixes=ASM,ASM-2BAR -DLDS=8192
// RUN: moec compile %s --arch gfx942 --num-stages 2 --emit asm | FileCheck %s --check-prefixes=ASM,ASM-2BAR -DLDS=8192
// RUN: moec compile %s --arch gfx942 --num-stages 3 --emit asm | FileCheck %s --check-prefixes=ASM,ASM-1BAR -DLDS=16384
// RUN: moec compile %s --arch gfx942 --num-stages 4 --emit asm | FileCheck %s --check-prefixes=ASM,ASM-1BAR -DLDS=24576
// RUN: moec compile %s --arch gfx90a --num-stages 1 --emit asm | FileCheck %s --check-prefixes=ASM,ASM-2BAR -DLDS=8192
// RUN: moec compile %s --arch gfx90a --num-stages 2 --emit asm | FileCheck %s --check-prefixes=ASM,ASM-2BAR -DLDS=8192
// RUN: moec compile %s --arch gfx90a --num-stages 3 --emit asm | FileCheck %s --check-prefixes=ASM,ASM-1BAR -DLDS=16384
//
// RUN: moec compile %s --arch gfx942 --num-stages 1 --emit hsaco -o %t.s1 && moec inspect %t.s1 | FileCheck %s --check-prefix=INSPECT -DLDS=8192
// RUN: moec compile %s --arch gfx942 --num-stages 3 --emit hsaco -o %t.s3 && moec inspect %t.s3 | FileCheck %s --check-prefix=INSPECT -DLDS=16384
// RUN: moec compile %s --arch gfx90a --num-stages 4 --emit hsaco -o %t.s4 && moec inspect %t.s4 | FileCheck %s --check-prefix=INSPECT -DLDS=24576

func.func @g(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 64, block_n = 64, block_k = 32, num_warps = 4>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}

// Nothing is loaded or stored to LDS before the loop, whose only iter_args
// are the four accumulators.
// S1-LABEL: llvm.func @g_gemm(
// S1-NOT:  {{rocdl.raw.ptr.buffer.load|llvm.store .*!llvm.ptr<3>|rocdl.barrier}}
// S1:      ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<4xf32>, %{{[0-9]+}}: vector<4xf32>, %{{[0-9]+}}: vector<4xf32>, %{{[0-9]+}}: vector<4xf32>):
// S1-NOT:  rocdl.barrier
// S1:      rocdl.raw.ptr.buffer.load
// S1-NOT:  rocdl.barrier
// S1:      llvm.store {{.*}}!llvm.ptr<3>
// S1:      rocdl.barrier
// S1-NOT:  {{rocdl.barrier|rocdl.raw.ptr.buffer.load}}
// S1:      rocdl.mfma
// S1-NOT:  rocdl.raw.ptr.buffer.load
// S1:      rocdl.barrier
// S1-NOT:  rocdl.barrier
// S1:      llvm.br ^[[LOOP]](%{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}} : i64, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// S1-NOT:  rocdl.barrier
// S1:      llvm.return

// S2-LABEL: llvm.func @g_gemm(
// S2-NOT:  rocdl.barrier
// S2:      rocdl.raw.ptr.buffer.load
// S2-NOT:  {{llvm.store .*!llvm.ptr<3>|rocdl.barrier}}
// S2:      ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<4xf32>, %{{[0-9]+}}: vector<4xf32>, %{{[0-9]+}}: vector<4xf32>, %{{[0-9]+}}: vector<4xf32>, %{{[0-9]+}}: vector<8xbf16>, %{{[0-9]+}}: vector<8xbf16>):
// S2-NOT:  rocdl.barrier
// S2:      llvm.store {{.*}}!llvm.ptr<3>
// S2:      rocdl.barrier
// S2-NOT:  {{rocdl.barrier|rocdl.mfma}}
// S2:      rocdl.raw.ptr.buffer.load
// S2-NOT:  rocdl.barrier
// S2:      rocdl.mfma
// S2:      rocdl.barrier
// S2-NOT:  rocdl.barrier
// S2:      llvm.br ^[[LOOP]](%{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}} : i64, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<8xbf16>, vector<8xbf16>)
// S2-NOT:  rocdl.barrier
// S2:      llvm.return

// Before the loop: tile 0 loaded and stored to LDS, tile 1 loaded.
// S3-LABEL: llvm.func @g_gemm(
// S3-NOT:  rocdl.barrier
// S3:      rocdl.raw.ptr.buffer.load
// S3:      llvm.store {{.*}}!llvm.ptr<3>
// S3-NOT:  rocdl.barrier
// S3:      rocdl.raw.ptr.buffer.load
// S3-NOT:  {{llvm.store .*!llvm.ptr<3>|rocdl.barrier}}
// S3:      ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<4xf32>, %{{[0-9]+}}: vector<4xf32>, %{{[0-9]+}}: vector<4xf32>, %{{[0-9]+}}: vector<4xf32>, %{{[0-9]+}}: vector<8xbf16>, %{{[0-9]+}}: vector<8xbf16>):
// S3:      rocdl.barrier
// S3-NOT:  rocdl.barrier
// S3:      llvm.store {{.*}}!llvm.ptr<3>
// S3-NOT:  rocdl.barrier
// S3:      rocdl.raw.ptr.buffer.load
// S3-NOT:  rocdl.barrier
// S3:      rocdl.mfma
// S3-NOT:  rocdl.barrier
// S3:      llvm.br ^[[LOOP]](
// S3-NOT:  rocdl.barrier
// S3:      llvm.return

// Tiles 0 and 1 go to LDS before the loop, tile 2 waits in registers.
// S4-LABEL: llvm.func @g_gemm(
// S4:      rocdl.raw.ptr.buffer.load
// S4:      llvm.store {{.*}}!llvm.ptr<3>
// S4:      rocdl.raw.ptr.buffer.load
// S4:      llvm.store {{.*}}!llvm.ptr<3>
// S4:      rocdl.raw.ptr.buffer.load
// S4-NOT:  {{llvm.store .*!llvm.ptr<3>|rocdl.barrier}}
// S4:      ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<4xf32>, %{{[0-9]+}}: vector<4xf32>, %{{[0-9]+}}: vector<4xf32>, %{{[0-9]+}}: vector<4xf32>, %{{[0-9]+}}: vector<8xbf16>, %{{[0-9]+}}: vector<8xbf16>):
// S4:      rocdl.barrier
// S4-NOT:  rocdl.barrier
// S4:      llvm.br ^[[LOOP]](

// ASM-LABEL: {{^}}g_gemm:
// ASM-2BAR-COUNT-2: s_barrier{{$}}
// ASM-1BAR-COUNT-1: s_barrier{{$}}
// ASM-NOT:  s_barrier
// ASM:      .amdhsa_group_segment_fixed_size [[LDS]]{{$}}

// Columns: kernel workgroup vgpr agpr sgpr lds scratch spill(v/s) ...
// INSPECT: g_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} [[LDS]] 0 0/0 64
