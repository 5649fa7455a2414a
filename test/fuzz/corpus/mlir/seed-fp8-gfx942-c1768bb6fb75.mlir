// fp8 on gfx942 (fnuz encodings): the MFMA variant names A's and B's
// formats (fp8 = f8E4M3FNUZ, bf8 = f8E5M2FNUZ), K is 32 (16x16) or 16
// (32x32), and a lane holds 8 fp8 per MFMA operand (one i64). With one wave
// a 64x64x64 K step issues (64/16)^2 (64/32) = 32 or (64/32)^2 (64/16) = 16.
// LDS rows are unpadded (swizzled): (64 + 64) 64 = 8192 bytes.
// kpack 2 reads 16 fp8 per lane at once (ds_read_b128) instead of 8
// (ds_read_b64, which LLVM pairs into ds_read2_b64).
//
// RUN: moec compile %s --arch gfx942 --emit asm | FileCheck %s --check-prefix=NK16
// RUN: moec compile %s --arch gfx942 --matrix-instr-nonkdim 32 --emit asm | FileCheck %s --check-prefix=NK32
// RUN: moec compile %s --arch gfx942 --emit llvm | FileCheck %s --check-prefix=LLVM
// RUN: moec compile %s --arch gfx942 --kpack 1 --emit asm | FileCheck %s --check-prefix=KPACK1
// RUN: moec compile %s --arch gfx942 --kpack 2 --emit asm | FileCheck %s --check-prefix=KPACK2
// RUN: moec compile %s --arch gfx942 --emit hsaco -o %t.16 && moec inspect %t.16 | FileCheck %s --check-prefix=NOSPILL
// RUN: moec compile %s --arch gfx942 --matrix-instr-nonkdim 32 --kpack 2 --emit hsaco -o %t.32 && moec inspect %t.32 | FileCheck %s --check-prefix=NOSPILL
// RUN: moec compile %s --arch gfx942 --assume-aligned --emit hsaco -o %t.al && moec inspect %t.al | FileCheck %s --check-prefix=ALIGNED
//
// gfx90a has no fp8 MFMA; gfx950 takes the OCP encodings instead.
// RUN: not moec compile %s --arch gfx90a --emit asm 2>&1 | FileCheck %s --check-prefix=GFX90A
// RUN: not moec compile %s --arch gfx950 --emit asm 2>&1 | FileCheck %s --check-prefix=GFX950

// B as a linear layer keeps it (N x K), except in @bf8_fp8.
func.func @fp8_fp8(%a: memref<?x?xf8E4M3FNUZ>, %b: memref<?x?xf8E4M3FNUZ>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {transpose_b, config = #moec.config<block_k = 64, num_warps = 1>}
    : memref<?x?xf8E4M3FNUZ>, memref<?x?xf8E4M3FNUZ> -> memref<?x?xbf16>
  return
}
func.func @bf8_bf8(%a: memref<?x?xf8E5M2FNUZ>, %b: memref<?x?xf8E5M2FNUZ>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {transpose_b, config = #moec.config<block_k = 64, num_warps = 1>}
    : memref<?x?xf8E5M2FNUZ>, memref<?x?xf8E5M2FNUZ> -> memref<?x?xbf16>
  return
}
func.func @fp8_bf8(%a: memref<?x?xf8E4M3FNUZ>, %b: memref<?x?xf8E5M2FNUZ>, %c: memref<?x?xf16>) {
  moec.gemm %a, %b -> %c {transpose_b, config = #moec.config<block_k = 64, num_warps = 1>}
    : memref<?x?xf8E4M3FNUZ>, memref<?x?xf8E5M2FNUZ> -> memref<?x?xf16>
  return
}
func.func @bf8_fp8(%a: memref<?x?xf8E5M2FNUZ>, %b: memref<?x?xf8E4M3FNUZ>, %c: memref<?x?xf32>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64, num_warps = 1>}
    : memref<?x?xf8E5M2FNUZ>, memref<?x?xf8E4M3FNUZ> -> memref<?x?xf32>
  return
}

// NK16-LABEL:    {{^}}fp8_fp8_gemm:
// NK16-COUNT-32: v_mfma_f32_16x16x32_fp8_fp8 {{.*}}
// NK16-NOT:      v_mfma
// NK16:          .amdhsa_group_segment_fixed_size 8192{{$}}
// NK16-LABEL:    {{^}}bf8_bf8_gemm:
// NK16-COUNT-32: v_mfma_f32_16x16x32_bf8_bf8 {{.*}}
// NK16-NOT:      v_mfma
// NK16-LABEL:    {{^}}fp8_bf8_gemm:
// NK16-COUNT-32: v_mfma_f32_16x16x32_fp8_bf8 {{.*}}
// NK16-NOT:      v_mfma
// NK16-LABEL:    {{^}}bf8_fp8_gemm:
// NK16-COUNT-32: v_mfma_f32_16x16x32_bf8_fp8 {{.*}}
// NK16-NOT:      v_mfma

// NK32-LABEL:    {{^}}fp8_fp8_gemm:
// NK32-COUNT-16: v_mfma_f32_32x32x16_fp8_fp8 {{.*}}
// NK32-NOT:      v_mfma
// NK32-LABEL:    {{^}}bf8_bf8_gemm:
// NK32-COUNT-16: v_mfma_f32_32x32x16_bf8_bf8 {{.*}}
// NK32-NOT:      v_mfma
// NK32-LABEL:    {{^}}fp8_bf8_gemm:
// NK32-COUNT-16: v_mfma_f32_32x32x16_fp8_bf8 {{.*}}
// NK32-NOT:      v_mfma
// NK32-LABEL:    {{^}}bf8_fp8_gemm:
// NK32-COUNT-16: v_mfma_f32_32x32x16_bf8_fp8 {{.*}}
// NK32-NOT:      v_mfma

// LLVM-LABEL: define amdgpu_kernel void @fp8_fp8_gemm(
// LLVM:       call <4 x float> @llvm.amdgcn.mfma.f32.16x16x32.fp8.fp8(i64 %{{[0-9]+}}, i64 %{{[0-9]+}}, <4 x float>
// LLVM-LABEL: define amdgpu_kernel void @bf8_bf8_gemm(
// LLVM:       call <4 x float> @llvm.amdgcn.mfma.f32.16x16x32.bf8.bf8(i64
// LLVM-LABEL: define amdgpu_kernel void @fp8_bf8_gemm(
// LLVM:       call <4 x float> @llvm.amdgcn.mfma.f32.16x16x32.fp8.bf8(i64
// LLVM:       fptrunc float %{{[0-9]+}} to half
// LLVM-LABEL: define amdgpu_kernel void @bf8_fp8_gemm(
// LLVM:       call <4 x float> @llvm.amdgcn.mfma.f32.16x16x32.bf8.fp8(i64
// LLVM-NOT:   fptrunc
// LLVM:       call void @llvm.amdgcn.raw.ptr.buffer.store.i32(i32

// A K-contiguous operand goes to LDS 16 fp8 at a time; B as K x N (in
// @bf8_fp8) two K elements (2 bytes) at a time.
// KPACK1-LABEL: {{^}}fp8_fp8_gemm:
// KPACK1-NOT:   {{ds_read_b128|ds_write_b8}}
// KPACK1:       ds_read{{(2|2st64)?}}_b64
// KPACK1-NOT:   {{ds_read_b128|ds_write_b8}}
// KPACK1:       s_endpgm
// KPACK1-LABEL: {{^}}bf8_fp8_gemm:
// KPACK1-NOT:   {{ds_read_b128|ds_write_b8}}
// KPACK1-DAG:   ds_read{{(2|2st64)?}}_b64
// KPACK1-DAG:   ds_write_b16
// KPACK1-NOT:   {{ds_read_b128|ds_write_b8}}
// KPACK1:       s_endpgm

// KPACK2-LABEL: {{^}}fp8_fp8_gemm:
// KPACK2-NOT:   {{ds_read(2|2st64)?_b64}}
// KPACK2:       ds_read_b128
// KPACK2-NOT:   {{ds_read(2|2st64)?_b64}}
// KPACK2:       s_endpgm

// NOSPILL: fp8_fp8_gemm 64x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// NOSPILL: bf8_bf8_gemm 64x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// NOSPILL: fp8_bf8_gemm 64x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// bf8_fp8's B is K x N with a dynamic N: its element-by-element path (taken
// when N is not a multiple of 16) holds 128 validity masks in one wave and
// may spill a few SGPRs (to VGPR lanes, not memory); never VGPRs.
// NOSPILL: bf8_fp8_gemm 64x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/{{[0-9]+}} 64
// Specialized for aligned leading dimensions, nothing spills.
// ALIGNED: fp8_fp8_gemm 64x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// ALIGNED: bf8_bf8_gemm 64x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// ALIGNED: fp8_bf8_gemm 64x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// ALIGNED: bf8_fp8_gemm 64x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64

// GFX90A: error: 'moec.gemm' op A element type 'f8E4M3FNUZ' is not supported on gfx90a: it has no fp8 matrix instructions
// GFX950: error: 'moec.gemm' op A element type 'f8E4M3FNUZ' is not supported on gfx950, which takes the OCP fp8 types (f8E4M3FN, f8E5M2)
