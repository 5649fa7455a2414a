

func.func @unknown_attr(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{has an unknown attribute 'alpha'; known attributes: activation config transpose_a transpose_b}}
  moec.gemm %a, %b -> %c {alpha = 2.0 : f32, config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

