

func.func @num_stages_too_large(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{num_stages = 9 must be between 0 and 8}}
  moec.gemm %a, %b -> %c {config = #moec.config<num_stages = 9>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

