// Activations lower to instructions the backends emit natively: moec links
// no device library (ocml / libdevice), so a call into one would be an
// unresolved symbol at load time.
// RUN: moec compile %s --arch gfx942 --emit asm | FileCheck %s --check-prefix=AMD
// RUN: moec compile %s --arch sm_90 --emit ptx | FileCheck %s --check-prefix=NV
// AMD-NOT: __ocml
// AMD: v_exp_f32
// AMD-NOT: __ocml
// NV-NOT: __nv_
// NV: ex2.approx.f32
// NV-NOT: __nv_
func.func @f(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>, %bias: memref<?xf32>) {
  moec.gemm %a, %b -> %c bias(%bias : memref<?xf32>) {transpose_b, activation = #moec.activation<gelu>, config = #moec.config<>} : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}
