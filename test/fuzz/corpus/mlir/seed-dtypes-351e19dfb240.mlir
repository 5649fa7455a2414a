// f16 and bf16 inputs pick the MFMA variant; C's type picks the conversion
// of the f32 accumulator and the store width (64x64 over 256 lanes: 16
// elements per lane, direct epilogue):
//   f16  fptrunc -> v_cvt_f16_f32, 2-byte stores
//   bf16 fptrunc -> round-to-nearest-even in integer ops on gfx90a/gfx942
//        (v_bfe_u32 of the rounding bit), v_cvt_pk_bf16_f32 on gfx950
//   f32  no conversion, 4-byte stores
//
// RUN: moec compile %s --arch gfx942 --emit llvm | FileCheck %s --check-prefix=LLVM
// RUN: moec compile %s --arch gfx90a --emit llvm | FileCheck %s --check-prefix=LLVM
// RUN: moec compile %s --arch gfx942 --emit asm | FileCheck %s --check-prefixes=ASM,GFX9 -DF16=v_mfma_f32_16x16x16_f16 -DBF16=v_mfma_f32_16x16x16_bf16
// RUN: moec compile %s --arch gfx90a --emit asm | FileCheck %s --check-prefixes=ASM,GFX9 -DF16=v_mfma_f32_16x16x16f16 -DBF16=v_mfma_f32_16x16x16bf16_1k
// RUN: moec compile %s --arch gfx950 --emit asm | FileCheck %s --check-prefixes=ASM,GFX950 -DF16=v_mfma_f32_16x16x32_f16 -DBF16=v_mfma_f32_16x16x32_bf16
// RUN: moec compile %s --arch gfx942 --emit hsaco -o %t.942 && moec inspect %t.942 | FileCheck %s --check-prefix=NOSPILL
// RUN: moec compile %s --arch gfx90a --emit hsaco -o %t.90a && moec inspect %t.90a | FileCheck %s --check-prefix=NOSPILL
// RUN: moec compile %s --arch gfx950 --emit hsaco -o %t.950 && moec inspect %t.950 | FileCheck %s --check-prefix=NOSPILL

func.func @f16_f16(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_k = 32>}
    : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}
func.func @bf16_bf16(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_k = 32>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}
func.func @bf16_f32(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xf32>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_k = 32>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xf32>
  return
}
func.func @f16_bf16(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_k = 32>}
    : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xbf16>
  return
}

// LLVM-LABEL:    define amdgpu_kernel void @f16_f16_gemm(
// LLVM:          call <4 x float> @llvm.amdgcn.mfma.f32.16x16x16f16(<4 x half>
// LLVM-COUNT-16: fptrunc float %{{[0-9]+}} to half
// LLVM-NOT:      fptrunc
// LLVM:          ret void
// LLVM-LABEL:    define amdgpu_kernel void @bf16_bf16_gemm(
// LLVM:          call <4 x float> @llvm.amdgcn.mfma.f32.16x16x16bf16.1k(<4 x i16>
// LLVM-COUNT-16: fptrunc float %{{[0-9]+}} to bfloat
// LLVM-NOT:      fptrunc
// LLVM:          ret void
// LLVM-LABEL:    define amdgpu_kernel void @bf16_f32_gemm(
// LLVM:          call <4 x float> @llvm.amdgcn.mfma.f32.16x16x16bf16.1k(<4 x i16>
// LLVM-NOT:      fptrunc
// LLVM-COUNT-16: call void @llvm.amdgcn.raw.ptr.buffer.store.i32(i32 %{{[0-9]+}}
// LLVM-NOT:      fptrunc
// LLVM:          ret void
// LLVM-LABEL:    define amdgpu_kernel void @f16_bf16_gemm(
// LLVM:          call <4 x float> @llvm.amdgcn.mfma.f32.16x16x16f16(<4 x half>
// LLVM-COUNT-16: fptrunc float %{{[0-9]+}} to bfloat
// LLVM-NOT:      fptrunc
// LLVM:          ret void

// ASM-LABEL:       {{^}}f16_f16_gemm:
// ASM:             [[F16]] {{.*}}
// ASM-COUNT-16:    v_cvt_f16_f32
// ASM-NOT:         {{v_cvt_pk_bf16_f32|buffer_store_dword}}
// ASM:             s_endpgm
// ASM-LABEL:       {{^}}bf16_bf16_gemm:
// ASM:             [[BF16]] {{.*}}
// ASM-NOT:         {{v_cvt_f16_f32|buffer_store_dword}}
// GFX9-COUNT-16:   v_bfe_u32
// GFX9-NOT:        v_cvt_pk_bf16_f32
// GFX9:            buffer_store_short
// GFX950-COUNT-16: v_cvt_pk_bf16_f32
// GFX950:          buffer_store_short
// ASM:             s_endpgm
// ASM-LABEL:       {{^}}bf16_f32_gemm:
// ASM:             [[BF16]] {{.*}}
// ASM-NOT:         {{v_cvt_f16_f32|v_cvt_pk_bf16_f32|v_bfe_u32|buffer_store_short}}
// ASM-COUNT-16:    buffer_store_dword v
// ASM-NOT:         {{v_cvt_f16_f32|v_cvt_pk_bf16_f32|v_bfe_u32|buffer_store_short}}
// ASM:             s_endpgm
// ASM-LABEL:       {{^}}f16_bf16_gemm:
// ASM:             [[F16]] {{.*}}
// ASM-NOT:         {{v_cvt_f16_f32|buffer_store_dword}}
// GFX9-COUNT-16:   v_bfe_u32
// GFX950-COUNT-16: v_cvt_pk_bf16_f32
// ASM:             s_endpgm

// NOSPILL: f16_f16_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// NOSPILL: bf16_bf16_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// NOSPILL: bf16_f32_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// NOSPILL: f16_bf16_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
