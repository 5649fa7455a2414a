// fp8 on gfx950 (OCP encodings: fp8 = f8E4M3FN, bf8 = f8E5M2). Where
// block_k is a multiple of their K, gfx950's f8f6f4 MFMAs take 4x the K of
// gfx942's fp8 ones (16x16x128, 32x32x64: 32 fp8 per lane and operand, read
// as two ds_read_b128), their operand formats in cbsz (A) and blgp (B),
// 0 = fp8, 1 = bf8. They are the scaled MFMAs with both scales 0, which the
// backend turns into the unscaled instruction. With one wave, 64x64 tiles:
//   block_k 128, 16x16: 16x16x128_f8f6f4 (64/16)^2 (128/128) = 16
//   block_k  64, 16x16: 16x16x32_fp8_fp8 (64/16)^2 (64/32)   = 32
//   block_k  64, 32x32: 32x32x64_f8f6f4  (64/32)^2 (64/64)   = 4
//   block_k  32, 32x32: 32x32x16_fp8_fp8 (64/32)^2 (32/16)   = 8
//
// RUN: moec compile %s --arch gfx950 --block-k 128 --emit asm | FileCheck %s --check-prefix=K128
// RUN: moec compile %s --arch gfx950 --block-k 64 --emit asm | FileCheck %s --check-prefix=K64
// RUN: moec compile %s --arch gfx950 --block-k 64 --matrix-instr-nonkdim 32 --emit asm | FileCheck %s --check-prefix=NK32-K64
// RUN: moec compile %s --arch gfx950 --block-k 32 --matrix-instr-nonkdim 32 --emit asm | FileCheck %s --check-prefix=NK32-K32
// RUN: moec compile %s --arch gfx950 --block-k 128 --emit llvm | FileCheck %s --check-prefix=LLVM
// RUN: moec compile %s --arch gfx950 --block-k 128 --emit hsaco -o %t.128 && moec inspect %t.128 | FileCheck %s --check-prefix=NOSPILL -DLDS=16384
// RUN: moec compile %s --arch gfx950 --block-k 64 --matrix-instr-nonkdim 32 --emit hsaco -o %t.64 && moec inspect %t.64 | FileCheck %s --check-prefix=NOSPILL -DLDS=8192
//
// RUN: not moec compile %s --arch gfx942 --emit asm 2>&1 | FileCheck %s --check-prefix=GFX942
// RUN: not moec compile %s --arch gfx90a --emit asm 2>&1 | FileCheck %s --check-prefix=GFX90A

func.func @fp8_fp8(%a: memref<?x?xf8E4M3FN>, %b: memref<?x?xf8E4M3FN>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {transpose_b, config = #moec.config<num_warps = 1>}
    : memref<?x?xf8E4M3FN>, memref<?x?xf8E4M3FN> -> memref<?x?xbf16>
  return
}
func.func @bf8_bf8(%a: memref<?x?xf8E5M2>, %b: memref<?x?xf8E5M2>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {transpose_b, config = #moec.config<num_warps = 1>}
    : memref<?x?xf8E5M2>, memref<?x?xf8E5M2> -> memref<?x?xbf16>
  return
}
func.func @fp8_bf8(%a: memref<?x?xf8E4M3FN>, %b: memref<?x?xf8E5M2>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {transpose_b, config = #moec.config<num_warps = 1>}
    : memref<?x?xf8E4M3FN>, memref<?x?xf8E5M2> -> memref<?x?xbf16>
  return
}
func.func @bf8_fp8(%a: memref<?x?xf8E5M2>, %b: memref<?x?xf8E4M3FN>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {transpose_b, config = #moec.config<num_warps = 1>}
    : memref<?x?xf8E5M2>, memref<?x?xf8E4M3FN> -> memref<?x?xbf16>
  return
}

// K128-NOT:      v_mfma_scale
// K128-LABEL:    {{^}}fp8_fp8_gemm:
// K128-COUNT-16: v_mfma_f32_16x16x128_f8f6f4 v[{{[0-9:]+}}], v[{{[0-9:]+}}], v[{{[0-9:]+}}], v[{{[0-9:]+}}]{{$}}
// K128-NOT:      v_mfma
// K128-LABEL:    {{^}}bf8_bf8_gemm:
// K128-COUNT-16: v_mfma_f32_16x16x128_f8f6f4 {{.*}} cbsz:1 blgp:1{{$}}
// K128-NOT:      v_mfma
// K128-LABEL:    {{^}}fp8_bf8_gemm:
// K128-COUNT-16: v_mfma_f32_16x16x128_f8f6f4 v[{{[0-9:]+}}], v[{{[0-9:]+}}], v[{{[0-9:]+}}], v[{{[0-9:]+}}] blgp:1{{$}}
// K128-NOT:      v_mfma
// K128-LABEL:    {{^}}bf8_fp8_gemm:
// K128-COUNT-16: v_mfma_f32_16x16x128_f8f6f4 v[{{[0-9:]+}}], v[{{[0-9:]+}}], v[{{[0-9:]+}}], v[{{[0-9:]+}}] cbsz:1{{$}}
// K128-NOT:      v_mfma

// K64-LABEL:    {{^}}fp8_fp8_gemm:
// K64-COUNT-32: v_mfma_f32_16x16x32_fp8_fp8 {{.*}}
// K64-NOT:      v_mfma
// K64-LABEL:    {{^}}bf8_bf8_gemm:
// K64-COUNT-32: v_mfma_f32_16x16x32_bf8_bf8 {{.*}}
// K64-NOT:      v_mfma
// K64-LABEL:    {{^}}fp8_bf8_gemm:
// K64-COUNT-32: v_mfma_f32_16x16x32_fp8_bf8 {{.*}}
// K64-NOT:      v_mfma
// K64-LABEL:    {{^}}bf8_fp8_gemm:
// K64-COUNT-32: v_mfma_f32_16x16x32_bf8_fp8 {{.*}}
// K64-NOT:      v_mfma

// NK32-K64-LABEL:   {{^}}fp8_fp8_gemm:
// NK32-K64-COUNT-4: v_mfma_f32_32x32x64_f8f6f4 v[{{[0-9:]+}}], v[{{[0-9:]+}}], v[{{[0-9:]+}}], v[{{[0-9:]+}}]{{$}}
// NK32-K64-NOT:     v_mfma
// NK32-K64-LABEL:   {{^}}bf8_bf8_gemm:
// NK32-K64-COUNT-4: v_mfma_f32_32x32x64_f8f6f4 {{.*}} cbsz:1 blgp:1{{$}}
// NK32-K64-NOT:     v_mfma
// NK32-K64-LABEL:   {{^}}fp8_bf8_gemm:
// NK32-K64-COUNT-4: v_mfma_f32_32x32x64_f8f6f4 v[{{[0-9:]+}}], v[{{[0-9:]+}}], v[{{[0-9:]+}}], v[{{[0-9:]+}}] blgp:1{{$}}
// NK32-K64-NOT:     v_mfma
// NK32-K64-LABEL:   {{^}}bf8_fp8_gemm:
// NK32-K64-COUNT-4: v_mfma_f32_32x32x64_f8f6f4 v[{{[0-9:]+}}], v[{{[0-9:]+}}], v[{{[0-9:]+}}], v[{{[0-9:]+}}] cbsz:1{{$}}
// NK32-K64-NOT:     v_mfma

// NK32-K32-LABEL:   {{^}}fp8_fp8_gemm:
// NK32-K32-COUNT-8: v_mfma_f32_32x32x16_fp8_fp8 {{.*}}
// NK32-K32-NOT:     v_mfma
// NK32-K32-LABEL:   {{^}}bf8_bf8_gemm:
// NK32-K32-COUNT-8: v_mfma_f32_32x32x16_bf8_bf8 {{.*}}
// NK32-K32-NOT:     v_mfma
// NK32-K32-LABEL:   {{^}}fp8_bf8_gemm:
// NK32-K32-COUNT-8: v_mfma_f32_32x32x16_fp8_bf8 {{.*}}
// NK32-K32-NOT:     v_mfma
// NK32-K32-LABEL:   {{^}}bf8_fp8_gemm:
// NK32-K32-COUNT-8: v_mfma_f32_32x32x16_bf8_fp8 {{.*}}
// NK32-K32-NOT:     v_mfma

// 32 fp8 per lane and operand: <8 x i32>; cbsz, blgp, then zero scales.
// LLVM-LABEL: define amdgpu_kernel void @fp8_fp8_gemm(
// LLVM:       call <4 x float> @llvm.amdgcn.mfma.scale.f32.16x16x128.f8f6f4.v8i32.v8i32(<8 x i32> %{{[0-9]+}}, <8 x i32> %{{[0-9]+}}, <4 x float> %{{[0-9]+}}, i32 0, i32 0, i32 0, i32 0, i32 0, i32 0)
// LLVM-LABEL: define amdgpu_kernel void @bf8_bf8_gemm(
// LLVM:       @llvm.amdgcn.mfma.scale.f32.16x16x128.f8f6f4.v8i32.v8i32({{.*}}, i32 1, i32 1, i32 0, i32 0, i32 0, i32 0)
// LLVM-LABEL: define amdgpu_kernel void @fp8_bf8_gemm(
// LLVM:       @llvm.amdgcn.mfma.scale.f32.16x16x128.f8f6f4.v8i32.v8i32({{.*}}, i32 0, i32 1, i32 0, i32 0, i32 0, i32 0)
// LLVM-LABEL: define amdgpu_kernel void @bf8_fp8_gemm(
// LLVM:       @llvm.amdgcn.mfma.scale.f32.16x16x128.f8f6f4.v8i32.v8i32({{.*}}, i32 1, i32 0, i32 0, i32 0, i32 0, i32 0)

// LDS: (64 + 64) block_k bytes.
// NOSPILL: fp8_fp8_gemm 64x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} [[LDS]] 0 0/0 64
// NOSPILL: bf8_bf8_gemm 64x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} [[LDS]] 0 0/0 64
// NOSPILL: fp8_bf8_gemm 64x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} [[LDS]] 0 0/0 64
// NOSPILL: bf8_fp8_gemm 64x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} [[LDS]] 0 0/0 64

// GFX942: error: 'moec.gemm' op A element type 'f8E4M3FN' is not supported on gfx942, which takes the fnuz fp8 types (f8E4M3FNUZ, f8E5M2FNUZ)
// GFX90A: error: 'moec.gemm' op A element type 'f8E4M3FN' is not supported on gfx90a: it has no fp8 matrix instructions
