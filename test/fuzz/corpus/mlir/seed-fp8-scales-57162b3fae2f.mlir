// fp8 scales multiply the f32 accumulator in the epilogue (64x64 over 256
// lanes: 16 elements per lane), scale_a first:
//   per tensor ([] or [1]): each loaded once, before the K loop, into a
//     scalar register (s_load_dword); two multiplies per element
//   per channel (scale_a [M], scale_b [N]): scale_a[row] and scale_b[col]
//     loaded per element after the loop (global_load_dword)
// gfx942 takes the fnuz types written here; the same file with the OCP
// types (f8E4M3FN, f8E5M2) runs on gfx950.
//
// RUN: moec compile %s --arch gfx942 --emit llvm -o %t.942.ll
// RUN: FileCheck %s --input-file %t.942.ll --check-prefix=LLVM
// RUN: FileCheck %s --input-file %t.942.ll --check-prefix=LLVM-SB
// RUN: moec compile %s --arch gfx942 --emit asm | FileCheck %s --check-prefix=ASM
// RUN: moec compile %s --arch gfx942 --emit hsaco -o %t.942 && moec inspect %t.942 | FileCheck %s --check-prefix=NOSPILL
// RUN: sed -e 's/E4M3FNUZ/E4M3FN/g' -e 's/E5M2FNUZ/E5M2/g' %s > %t.ocp.mlir
// RUN: moec compile %t.ocp.mlir --arch gfx950 --emit llvm -o %t.950.ll
// RUN: FileCheck %s --input-file %t.950.ll --check-prefix=LLVM
// RUN: FileCheck %s --input-file %t.950.ll --check-prefix=LLVM-SB
// RUN: moec compile %t.ocp.mlir --arch gfx950 --emit asm | FileCheck %s --check-prefix=ASM
// RUN: moec compile %t.ocp.mlir --arch gfx950 --emit hsaco -o %t.950 && moec inspect %t.950 | FileCheck %s --check-prefix=NOSPILL

func.func @unscaled(%a: memref<?x?xf8E4M3FNUZ>, %b: memref<?x?xf8E4M3FNUZ>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {transpose_b, config = #moec.config<block_k = 64>}
    : memref<?x?xf8E4M3FNUZ>, memref<?x?xf8E4M3FNUZ> -> memref<?x?xbf16>
  return
}
func.func @per_tensor(%a: memref<?x?xf8E4M3FNUZ>, %b: memref<?x?xf8E5M2FNUZ>, %c: memref<?x?xbf16>,
                      %sa: memref<f32>, %sb: memref<1xf32>) {
  moec.gemm %a, %b -> %c scale_a(%sa : memref<f32>) scale_b(%sb : memref<1xf32>) {transpose_b, config = #moec.config<block_k = 64>}
    : memref<?x?xf8E4M3FNUZ>, memref<?x?xf8E5M2FNUZ> -> memref<?x?xbf16>
  return
}
func.func @per_channel(%a: memref<?x?xf8E4M3FNUZ>, %b: memref<?x?xf8E4M3FNUZ>, %c: memref<?x?xbf16>,
                       %sa: memref<?xf32>, %sb: memref<?xf32>) {
  moec.gemm %a, %b -> %c scale_a(%sa : memref<?xf32>) scale_b(%sb : memref<?xf32>) {transpose_b, config = #moec.config<block_k = 64>}
    : memref<?x?xf8E4M3FNUZ>, memref<?x?xf8E4M3FNUZ> -> memref<?x?xbf16>
  return
}

// LLVM-LABEL: define amdgpu_kernel void @unscaled_gemm(
// LLVM-NOT:   {{load float|fmul float}}
// LLVM:       ret void

// LLVM-LABEL:    define amdgpu_kernel void @per_tensor_gemm(
// LLVM:          %[[SA:[0-9]+]] = load float, ptr addrspace(1)
// LLVM:          %[[SB:[0-9]+]] = load float, ptr addrspace(1)
// LLVM-NOT:      load float
// LLVM:          call <4 x float> @llvm.amdgcn.mfma
// LLVM-NOT:      load float
// LLVM-COUNT-16: fmul float %{{[0-9]+}}, %[[SA]]{{$}}
// LLVM-NEXT:     fmul float %{{[0-9]+}}, %[[SB]]{{$}}
// LLVM-NOT:      load float
// LLVM:          ret void

// LLVM-LABEL:    define amdgpu_kernel void @per_channel_gemm(
// LLVM-NOT:      load float
// LLVM:          call <4 x float> @llvm.amdgcn.mfma
// LLVM-COUNT-16: load float, ptr addrspace(1)
// LLVM-NEXT:     fmul float
// LLVM:          load float, ptr addrspace(1)
// LLVM:          ret void
// Both scales of all 16 elements, and nothing more.
// LLVM-SB-LABEL:    define amdgpu_kernel void @per_channel_gemm(
// LLVM-SB-COUNT-32: load float, ptr addrspace(1)
// LLVM-SB-NOT:      load float
// LLVM-SB:          ret void

// ASM-LABEL:    {{^}}unscaled_gemm:
// ASM-NOT:      {{s_load_dword s|global_load_dword v}}
// ASM:          s_endpgm
// ASM-LABEL:    {{^}}per_tensor_gemm:
// ASM-COUNT-2:  s_load_dword s
// ASM-NOT:      {{s_load_dword s|global_load_dword v}}
// ASM:          s_endpgm
// ASM-LABEL:    {{^}}per_channel_gemm:
// ASM-NOT:      s_load_dword s
// ASM-COUNT-32: global_load_dword v
// ASM-NOT:      {{s_load_dword s|global_load_dword v}}
// ASM:          .Lfunc_end2:

// NOSPILL: unscaled_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// NOSPILL: per_tensor_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// NOSPILL: per_channel_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
