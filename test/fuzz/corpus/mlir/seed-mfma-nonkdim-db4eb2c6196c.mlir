// matrix_instr_nonkdim picks the MFMA family, the input type its variant, and
// the tile how many the K loop issues. With one wave (num_warps = 1) a K step
// of the loop issues (BM / nk) (BN / nk) (BK / K) MFMAs, all inside the loop:
// here BM = BN = 64, BK = 32, so
//   gfx90a/gfx942: 16x16x16 -> 4 * 4 * 2 = 32,   32x32x8  -> 2 * 2 * 4 = 16
//   gfx950:        16x16x32 -> 4 * 4 * 1 = 16,   32x32x16 -> 2 * 2 * 2 = 8
// (gfx950 takes its double-K forms whenever block_k is a multiple of their K).
//
// RUN: moec compile %s --arch gfx942 --matrix-instr-nonkdim 16 --emit asm | FileCheck %s --check-prefix=GFX942-NK16
// RUN: moec compile %s --arch gfx942 --matrix-instr-nonkdim 32 --emit asm | FileCheck %s --check-prefix=GFX942-NK32
// RUN: moec compile %s --arch gfx90a --matrix-instr-nonkdim 16 --emit asm | FileCheck %s --check-prefix=GFX90A-NK16
// RUN: moec compile %s --arch gfx90a --matrix-instr-nonkdim 32 --emit asm | FileCheck %s --check-prefix=GFX90A-NK32
// RUN: moec compile %s --arch gfx950 --matrix-instr-nonkdim 16 --emit asm | FileCheck %s --check-prefix=GFX950-NK16
// RUN: moec compile %s --arch gfx950 --matrix-instr-nonkdim 32 --emit asm | FileCheck %s --check-prefix=GFX950-NK32
// block_k = 16 leaves gfx950 only its 16x16x16 forms: 4 * 4 * 1 = 16.
// RUN: moec compile %s --arch gfx950 --matrix-instr-nonkdim 16 --block-k 16 --emit asm | FileCheck %s --check-prefix=GFX950-BK16
// Four waves share the tile: each issues a quarter, 32 / 4 = 8.
// RUN: moec compile %s --arch gfx942 --matrix-instr-nonkdim 16 --num-warps 4 --emit asm | FileCheck %s --check-prefix=GFX942-W4
//
// The count is per iteration of the K loop: every MFMA lies between the loop
// header (the block taking the induction variable and the accumulators) and
// its back edge.
// RUN: moec compile %s --arch gfx942 --matrix-instr-nonkdim 16 --emit kernels | FileCheck %s --check-prefix=LOOP-NK16
// RUN: moec compile %s --arch gfx942 --matrix-instr-nonkdim 32 --emit kernels | FileCheck %s --check-prefix=LOOP-NK32
// RUN: moec compile %s --arch gfx950 --matrix-instr-nonkdim 16 --emit kernels | FileCheck %s --check-prefix=LOOP-GFX950
//
// Each one is a loadable code object without spills.
// RUN: moec compile %s --arch gfx942 --matrix-instr-nonkdim 16 --emit hsaco -o %t.942-16 && moec inspect %t.942-16 | FileCheck %s --check-prefix=NOSPILL
// RUN: moec compile %s --arch gfx942 --matrix-instr-nonkdim 32 --emit hsaco -o %t.942-32 && moec inspect %t.942-32 | FileCheck %s --check-prefix=NOSPILL
// RUN: moec compile %s --arch gfx90a --matrix-instr-nonkdim 16 --emit hsaco -o %t.90a-16 && moec inspect %t.90a-16 | FileCheck %s --check-prefix=NOSPILL
// RUN: moec compile %s --arch gfx90a --matrix-instr-nonkdim 32 --emit hsaco -o %t.90a-32 && moec inspect %t.90a-32 | FileCheck %s --check-prefix=NOSPILL
// RUN: moec compile %s --arch gfx950 --matrix-instr-nonkdim 16 --emit hsaco -o %t.950-16 && moec inspect %t.950-16 | FileCheck %s --check-prefix=NOSPILL
// RUN: moec compile %s --arch gfx950 --matrix-instr-nonkdim 32 --emit hsaco -o %t.950-32 && moec inspect %t.950-32 | FileCheck %s --check-prefix=NOSPILL

func.func @bf16(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 64, block_n = 64, block_k = 32, num_warps = 1>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}

func.func @f16(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 64, block_n = 64, block_k = 32, num_warps = 1>}
    : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// GFX942-NK16-LABEL: {{^}}bf16_gemm:
// GFX942-NK16-COUNT-32: v_mfma_f32_16x16x16_bf16 {{.*}}
// GFX942-NK16-NOT:      v_mfma
// GFX942-NK16-LABEL: {{^}}f16_gemm:
// GFX942-NK16-COUNT-32: v_mfma_f32_16x16x16_f16 {{.*}}
// GFX942-NK16-NOT:      v_mfma

// GFX942-NK32-LABEL: {{^}}bf16_gemm:
// GFX942-NK32-COUNT-16: v_mfma_f32_32x32x8_bf16 {{.*}}
// GFX942-NK32-NOT:      v_mfma
// GFX942-NK32-LABEL: {{^}}f16_gemm:
// GFX942-NK32-COUNT-16: v_mfma_f32_32x32x8_f16 {{.*}}
// GFX942-NK32-NOT:      v_mfma

// gfx90a spells the bf16 forms *_1k and has no underscore before the type.
// GFX90A-NK16-LABEL: {{^}}bf16_gemm:
// GFX90A-NK16-COUNT-32: v_mfma_f32_16x16x16bf16_1k {{.*}}
// GFX90A-NK16-NOT:      v_mfma
// GFX90A-NK16-LABEL: {{^}}f16_gemm:
// GFX90A-NK16-COUNT-32: v_mfma_f32_16x16x16f16 {{.*}}
// GFX90A-NK16-NOT:      v_mfma

// GFX90A-NK32-LABEL: {{^}}bf16_gemm:
// GFX90A-NK32-COUNT-16: v_mfma_f32_32x32x8bf16_1k {{.*}}
// GFX90A-NK32-NOT:      v_mfma
// GFX90A-NK32-LABEL: {{^}}f16_gemm:
// GFX90A-NK32-COUNT-16: v_mfma_f32_32x32x8f16 {{.*}}
// GFX90A-NK32-NOT:      v_mfma

// GFX950-NK16-LABEL: {{^}}bf16_gemm:
// GFX950-NK16-COUNT-16: v_mfma_f32_16x16x32_bf16 {{.*}}
// GFX950-NK16-NOT:      v_mfma
// GFX950-NK16-LABEL: {{^}}f16_gemm:
// GFX950-NK16-COUNT-16: v_mfma_f32_16x16x32_f16 {{.*}}
// GFX950-NK16-NOT:      v_mfma

// GFX950-NK32-LABEL: {{^}}bf16_gemm:
// GFX950-NK32-COUNT-8: v_mfma_f32_32x32x16_bf16 {{.*}}
// GFX950-NK32-NOT:     v_mfma
// GFX950-NK32-LABEL: {{^}}f16_gemm:
// GFX950-NK32-COUNT-8: v_mfma_f32_32x32x16_f16 {{.*}}
// GFX950-NK32-NOT:     v_mfma

// GFX950-BK16-LABEL: {{^}}bf16_gemm:
// GFX950-BK16-COUNT-16: v_mfma_f32_16x16x16_bf16 {{.*}}
// GFX950-BK16-NOT:      v_mfma
// GFX950-BK16-LABEL: {{^}}f16_gemm:
// GFX950-BK16-COUNT-16: v_mfma_f32_16x16x16_f16 {{.*}}
// GFX950-BK16-NOT:      v_mfma

// GFX942-W4-LABEL: {{^}}bf16_gemm:
// GFX942-W4-COUNT-8: v_mfma_f32_16x16x16_bf16 {{.*}}
// GFX942-W4-NOT:     v_mfma
// GFX942-W4-LABEL: {{^}}f16_gemm:
// GFX942-W4-COUNT-8: v_mfma_f32_16x16x16_f16 {{.*}}
// GFX942-W4-NOT:     v_mfma

// LOOP-NK16-LABEL: llvm.func @bf16_gemm(
// LOOP-NK16-NOT:      rocdl.mfma
// LOOP-NK16:          ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<4xf32>,
// LOOP-NK16-COUNT-32: rocdl.mfma.f32.16x16x16bf16.1k {{.*}} -> vector<4xf32>
// LOOP-NK16-NOT:      rocdl.mfma
// LOOP-NK16:          llvm.br ^[[LOOP]](
// LOOP-NK16-NOT:      rocdl.mfma
// LOOP-NK16-LABEL: llvm.func @f16_gemm(
// LOOP-NK16-NOT:      rocdl.mfma
// LOOP-NK16:          ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<4xf32>,
// LOOP-NK16-COUNT-32: rocdl.mfma.f32.16x16x16f16 {{.*}} -> vector<4xf32>
// LOOP-NK16-NOT:      rocdl.mfma
// LOOP-NK16:          llvm.br ^[[LOOP]](
// LOOP-NK16-NOT:      rocdl.mfma

// 32x32 accumulators hold 16 f32 per lane.
// LOOP-NK32-LABEL: llvm.func @bf16_gemm(
// LOOP-NK32-NOT:      rocdl.mfma
// LOOP-NK32:          ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<16xf32>,
// LOOP-NK32-COUNT-16: rocdl.mfma.f32.32x32x8bf16.1k {{.*}} -> vector<16xf32>
// LOOP-NK32-NOT:      rocdl.mfma
// LOOP-NK32:          llvm.br ^[[LOOP]](
// LOOP-NK32-NOT:      rocdl.mfma
// LOOP-NK32-LABEL: llvm.func @f16_gemm(
// LOOP-NK32-NOT:      rocdl.mfma
// LOOP-NK32:          ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<16xf32>,
// LOOP-NK32-COUNT-16: rocdl.mfma.f32.32x32x8f16 {{.*}} -> vector<16xf32>
// LOOP-NK32-NOT:      rocdl.mfma
// LOOP-NK32:          llvm.br ^[[LOOP]](
// LOOP-NK32-NOT:      rocdl.mfma

// LOOP-GFX950-LABEL: llvm.func @bf16_gemm(
// LOOP-GFX950-NOT:      rocdl.mfma
// LOOP-GFX950:          ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<4xf32>,
// LOOP-GFX950-COUNT-16: rocdl.mfma.f32.16x16x32.bf16 {{.*}} -> vector<4xf32>
// LOOP-GFX950-NOT:      rocdl.mfma
// LOOP-GFX950:          llvm.br ^[[LOOP]](
// LOOP-GFX950-NOT:      rocdl.mfma
// LOOP-GFX950-LABEL: llvm.func @f16_gemm(
// LOOP-GFX950-NOT:      rocdl.mfma
// LOOP-GFX950:          ^[[LOOP:bb[0-9]+]](%{{[0-9]+}}: i64, %{{[0-9]+}}: vector<4xf32>,
// LOOP-GFX950-COUNT-16: rocdl.mfma.f32.16x16x32.f16 {{.*}} -> vector<4xf32>
// LOOP-GFX950-NOT:      rocdl.mfma
// LOOP-GFX950:          llvm.br ^[[LOOP]](
// LOOP-GFX950-NOT:      rocdl.mfma

// Columns: kernel workgroup vgpr agpr sgpr lds scratch spill(v/s) ...
// NOSPILL: bf16_gemm 64x1x1 {{[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+}} 0 0/0 64
// NOSPILL: f16_gemm 64x1x1 {{[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+}} 0 0/0 64
