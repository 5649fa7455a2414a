

func.func @unknown_moec_attr(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{unknown moec attribute 'moec.transpose_b'}}
  moec.gemm %a, %b -> %c {moec.transpose_b, config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

