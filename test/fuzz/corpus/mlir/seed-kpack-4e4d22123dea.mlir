// kpack sets how many K elements a lane reads from LDS at once: each lane
// loads perLane * kpack contiguous elements of its A row and B column and
// issues kpack MFMAs from them. For 16-bit inputs (perLane = 4):
//   kpack 1: 8-byte reads, vector<4xbf16>: ds_read_b64, which LLVM pairs
//            into ds_read2_b64 or ds_read2st64_b64 where two fall at
//            encodable offsets; never b128
//   kpack 2: 16-byte reads, vector<8xbf16>: ds_read_b128, half as many
// The MFMAs stay the same. 64x64x64, 4 waves (a 2 x 2 grid of them): per
// lane and K tile, (2 A rows + 2 B columns) x (64 / 16 / kpack) reads.
//
// RUN: moec compile %s --arch gfx942 --kpack 1 --emit kernels | FileCheck %s --check-prefix=KERNELS-KP1
// RUN: moec compile %s --arch gfx942 --kpack 2 --emit kernels | FileCheck %s --check-prefix=KERNELS-KP2
// RUN: moec compile %s --arch gfx90a --kpack 1 --emit kernels | FileCheck %s --check-prefix=KERNELS-KP1
// RUN: moec compile %s --arch gfx90a --kpack 2 --emit kernels | FileCheck %s --check-prefix=KERNELS-KP2
//
// RUN: moec compile %s --arch gfx942 --kpack 1 --emit asm -o %t.942-1.s
// RUN: FileCheck %s --input-file %t.942-1.s --check-prefix=ASM-KP1
// RUN: FileCheck %s --input-file %t.942-1.s --check-prefix=MFMA -DMFMA=v_mfma_f32_16x16x16_bf16
// RUN: moec compile %s --arch gfx942 --kpack 2 --emit asm -o %t.942-2.s
// RUN: FileCheck %s --input-file %t.942-2.s --check-prefix=ASM-KP2
// RUN: FileCheck %s --input-file %t.942-2.s --check-prefix=MFMA -DMFMA=v_mfma_f32_16x16x16_bf16
// RUN: moec compile %s --arch gfx90a --kpack 1 --emit asm -o %t.90a-1.s
// RUN: FileCheck %s --input-file %t.90a-1.s --check-prefix=ASM-KP1
// RUN: FileCheck %s --input-file %t.90a-1.s --check-prefix=MFMA -DMFMA=v_mfma_f32_16x16x16bf16_1k
// RUN: moec compile %s --arch gfx90a --kpack 2 --emit asm -o %t.90a-2.s
// RUN: FileCheck %s --input-file %t.90a-2.s --check-prefix=ASM-KP2
// RUN: FileCheck %s --input-file %t.90a-2.s --check-prefix=MFMA -DMFMA=v_mfma_f32_16x16x16bf16_1k
// The 32x32 family reads the same widths (perLane = 4 there too).
// RUN: moec compile %s --arch gfx942 --kpack 1 --matrix-instr-nonkdim 32 --emit asm | FileCheck %s --check-prefix=ASM-KP1
// RUN: moec compile %s --arch gfx942 --kpack 2 --matrix-instr-nonkdim 32 --emit asm | FileCheck %s --check-prefix=ASM-KP2
//
// gfx950's MFMAs take 8 K elements per lane already: kpack 1 reads 16 bytes
// and kpack 2 is refused.
// RUN: moec compile %s --arch gfx950 --kpack 1 --emit asm | FileCheck %s --check-prefix=GFX950
// RUN: not moec compile %s --arch gfx950 --kpack 2 --emit asm 2>&1 | FileCheck %s --check-prefix=GFX950-KP2
//
// RUN: moec compile %s --arch gfx942 --kpack 2 --emit hsaco -o %t.942 && moec inspect %t.942 | FileCheck %s --check-prefix=NOSPILL
// RUN: moec compile %s --arch gfx90a --kpack 2 --emit hsaco -o %t.90a && moec inspect %t.90a | FileCheck %s --check-prefix=NOSPILL

func.func @g(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 64, block_n = 64, block_k = 64, epilogue = direct>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}

// KERNELS-KP1-LABEL: llvm.func @g_gemm(
// KERNELS-KP1-NOT:      !llvm.ptr<3> -> vector<8xbf16>
// KERNELS-KP1-COUNT-16: llvm.load {{.*}} : !llvm.ptr<3> -> vector<4xbf16>
// KERNELS-KP1-NOT:      !llvm.ptr<3> -> vector

// KERNELS-KP2-LABEL: llvm.func @g_gemm(
// KERNELS-KP2-NOT:     !llvm.ptr<3> -> vector<4xbf16>
// KERNELS-KP2-COUNT-8: llvm.load {{.*}} : !llvm.ptr<3> -> vector<8xbf16>
// KERNELS-KP2-NOT:     !llvm.ptr<3> -> vector

// ASM-KP1-LABEL: {{^}}g_gemm:
// ASM-KP1-NOT:      ds_read_b128
// ASM-KP1:          ds_read{{(2|2st64)?}}_b64
// ASM-KP1-NOT:      ds_read_b128
// ASM-KP1:          .Lfunc_end0:

// ASM-KP2-LABEL: {{^}}g_gemm:
// ASM-KP2-NOT:      {{ds_read(2|2st64)?_b64}}
// ASM-KP2-COUNT-8:  ds_read_b128
// ASM-KP2-NOT:      {{ds_read(2|2st64)?_b64|ds_read_b128}}
// ASM-KP2:          .Lfunc_end0:

// The same MFMAs either way: (4 x 4 tiles / 4 waves) x (64 / 16) = 16.
// MFMA-LABEL: {{^}}g_gemm:
// MFMA-COUNT-16: [[MFMA]] {{.*}}
// MFMA-NOT:      v_mfma

// GFX950-LABEL: {{^}}g_gemm:
// GFX950-NOT:     {{ds_read(2|2st64)?_b64}}
// GFX950-COUNT-8: ds_read_b128
// GFX950-NOT:     {{ds_read(2|2st64)?_b64|ds_read_b128}}
// GFX950:         .Lfunc_end0:

// GFX950-KP2: error: 'moec.gemm' op kpack = 2 is not supported on gfx950 (its MFMA operands are already K-packed); use kpack = 1

// NOSPILL: g_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 16384 0 0/0 64
