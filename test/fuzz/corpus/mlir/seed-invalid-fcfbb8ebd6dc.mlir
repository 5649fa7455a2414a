

func.func @gemm_fnuz_with_ocp(%a: memref<?x32xf8E4M3FNUZ>, %b: memref<32x16xf8E4M3FN>, %c: memref<?x16xf16>) {
  // expected-error @below {{'moec.gemm' op A ('f8E4M3FNUZ') and B ('f8E4M3FN') mix the fnuz and OCP fp8 encodings}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xf8E4M3FNUZ>, memref<32x16xf8E4M3FN> -> memref<?x16xf16>
  return
}

