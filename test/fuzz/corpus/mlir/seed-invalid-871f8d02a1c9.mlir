

func.func @num_stages_negative(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{num_stages = -1 must be between 0 and 8}}
  moec.gemm %a, %b -> %c {config = #moec.config<num_stages = -1>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

