

func.func @gemm_n_mismatch(%a: memref<?x32xf16>, %b: memref<32x16xf16>, %c: memref<?x32xf16>) {
  // expected-error @below {{'moec.gemm' op N mismatch: N of B (16) does not match columns of C (32)}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xf16>, memref<32x16xf16> -> memref<?x32xf16>
  return
}

