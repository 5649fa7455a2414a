// The epilogue applies, per accumulator element (16 per lane for 64x64 over
// 256 lanes) and before the conversion to C's type: + bias[col] (f16/bf16
// extended to f32, or f32), then the activation:
//   relu       max(x, 0) (NaN-propagating: fcmp ugt + select)
//   silu       x / (1 + 2^(-x log2 e))
//   gelu       0.5 x (1 + erf(x / sqrt 2)), erf by A&S 7.1.26: fabs, exp2, copysign
//   gelu_tanh  0.5 x (1 + tanh(y)), tanh(y) = 1 - 2 / (2^(2y log2 e) + 1),
//              y = sqrt(2/pi) (x + 0.044715 x^3)
// exp2 stays an LLVM intrinsic that the backend expands in line (v_exp_f32):
// no call into a device library that nothing links.
//
// RUN: moec compile %s --arch gfx942 --emit llvm | FileCheck %s --check-prefix=LLVM
// RUN: moec compile %s --arch gfx90a --emit llvm | FileCheck %s --check-prefix=LLVM
// RUN: moec compile %s --arch gfx942 --emit llvm | FileCheck %s --check-prefix=GELU
// RUN: moec compile %s --arch gfx942 --emit llvm | FileCheck %s --check-prefix=EXP
// RUN: moec compile %s --arch gfx942 --emit asm | FileCheck %s --check-prefix=ASM
// RUN: moec compile %s --arch gfx90a --emit asm | FileCheck %s --check-prefix=ASM
// RUN: moec compile %s --arch gfx950 --emit asm | FileCheck %s --check-prefix=ASM
// RUN: moec compile %s --arch gfx942 --emit hsaco -o %t.942 && moec inspect %t.942 | FileCheck %s --check-prefix=NOSPILL
// RUN: moec compile %s --arch gfx90a --emit hsaco -o %t.90a && moec inspect %t.90a | FileCheck %s --check-prefix=NOSPILL

func.func @plain(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_k = 32>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}
func.func @bias(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>, %bias: memref<?xbf16>) {
  moec.gemm %a, %b -> %c bias(%bias : memref<?xbf16>) {config = #moec.config<block_k = 32>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}
func.func @relu(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {activation = #moec.activation<relu>, config = #moec.config<block_k = 32>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}
func.func @silu(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {activation = #moec.activation<silu>, config = #moec.config<block_k = 32>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}
func.func @gelu(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {activation = #moec.activation<gelu>, config = #moec.config<block_k = 32>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}
func.func @gelu_tanh(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xf32>, %bias: memref<?xf32>) {
  moec.gemm %a, %b -> %c bias(%bias : memref<?xf32>) {activation = #moec.activation<gelu_tanh>, config = #moec.config<block_k = 32>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xf32>
  return
}

// LLVM-NOT: __ocml
// LLVM-LABEL: define amdgpu_kernel void @plain_gemm(
// LLVM-NOT:   {{fcmp ugt float|@llvm.exp2|fdiv float|load bfloat|load float}}
// LLVM:       ret void

// LLVM-LABEL:    define amdgpu_kernel void @bias_gemm(
// LLVM-COUNT-16: load bfloat, ptr addrspace(1) {{.*}}
// LLVM-NEXT:     fpext bfloat
// LLVM-NEXT:     fadd float
// LLVM-NOT:      {{fcmp ugt float|@llvm.exp2|fdiv float|load bfloat}}
// LLVM:          ret void

// LLVM-LABEL:    define amdgpu_kernel void @relu_gemm(
// LLVM-COUNT-16: fcmp ugt float %{{[0-9]+}}, 0.000000e+00
// LLVM-NEXT:     select i1 %{{[0-9]+}}, float %{{[0-9]+}}, float 0.000000e+00
// LLVM-NOT:      {{fcmp ugt float|@llvm.exp2|fdiv float|load bfloat}}
// LLVM:          ret void

// 0x3FF7154760000000 is log2(e) as an f32.
// LLVM-LABEL:    define amdgpu_kernel void @silu_gemm(
// LLVM-COUNT-16: fneg float %[[X:[0-9]+]]
// LLVM-NEXT:     fmul float %{{[0-9]+}}, 0x3FF7154760000000
// LLVM-NEXT:     call float @llvm.exp2.f32(
// LLVM-NEXT:     fadd float %{{[0-9]+}}, 1.000000e+00
// LLVM-NEXT:     fdiv float %[[X]], %{{[0-9]+}}
// LLVM-NOT:      {{fcmp ugt float|@llvm.exp2|fdiv float|@llvm.fabs}}
// LLVM:          ret void

// LLVM-LABEL:    define amdgpu_kernel void @gelu_gemm(
// LLVM-COUNT-16: call float @llvm.copysign.f32(
// LLVM-NOT:      {{@llvm.exp2|@llvm.fabs|@llvm.copysign}}
// LLVM:          ret void
// LLVM-LABEL:    define amdgpu_kernel void @gelu_tanh_gemm(
// LLVM-COUNT-16: load float, ptr addrspace(1)
// LLVM-NOT:      {{call float @llvm.fabs|call float @llvm.copysign}}
// LLVM:          ret void

// Per element in gelu: |z|, the polynomial's 1 / (1 + p |z|), exp2 of -z^2,
// the sign of z. In gelu_tanh: x^3 scaled by 0.044715 (0x3FA6E4E260000000)
// into exp2.
// GELU-LABEL:    define amdgpu_kernel void @gelu_gemm(
// GELU-COUNT-16: call float @llvm.fabs.f32({{.*}}
// GELU-LABEL:    define amdgpu_kernel void @gelu_tanh_gemm(
// GELU-COUNT-16: fmul float %{{[0-9]+}}, 0x3FA6E4E260000000
// EXP-LABEL:    define amdgpu_kernel void @gelu_gemm(
// EXP-COUNT-16: call float @llvm.exp2.f32(
// EXP-NOT:      call float @llvm.exp2.f32(
// EXP-LABEL:    define amdgpu_kernel void @gelu_tanh_gemm(
// EXP-COUNT-16: call float @llvm.exp2.f32(
// EXP-NOT:      call float @llvm.exp2.f32(

// ASM-LABEL:    {{^}}plain_gemm:
// ASM-NOT:      {{v_exp_f32|v_cmp_nge_f32}}
// ASM:          s_endpgm
// ASM-LABEL:    {{^}}bias_gemm:
// ASM-NOT:      v_exp_f32
// ASM:          s_endpgm
// ASM-LABEL:    {{^}}relu_gemm:
// ASM-NOT:      v_exp_f32
// ASM:          v_cmp_nge_f32
// ASM:          s_endpgm
// ASM-LABEL:    {{^}}silu_gemm:
// ASM-COUNT-16: v_exp_f32
// ASM-NOT:      v_exp_f32
// ASM:          .Lfunc_end3:
// ASM-LABEL:    {{^}}gelu_gemm:
// ASM-COUNT-16: v_exp_f32
// ASM-NOT:      v_exp_f32
// ASM:          .Lfunc_end4:
// ASM-LABEL:    {{^}}gelu_tanh_gemm:
// ASM-COUNT-16: v_exp_f32
// ASM-NOT:      v_exp_f32
// ASM:          .Lfunc_end5:

// Six code objects' kernels, none spilling.
// NOSPILL: plain_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// NOSPILL: bias_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// NOSPILL: relu_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// NOSPILL: silu_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// NOSPILL: gelu_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
// NOSPILL: gelu_tanh_gemm 256x1x1 {{[0-9]+ +[0-9]+ +[0-9]+}} 8192 0 0/0 64
