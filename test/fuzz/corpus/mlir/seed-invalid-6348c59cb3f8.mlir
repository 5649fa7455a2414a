

func.func @config_trailing_comma(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected valid keyword}}
  // expected-error @below {{expected a parameter name in struct}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 64,>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

