

func.func @config_missing_equals(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected '='}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m 64>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

