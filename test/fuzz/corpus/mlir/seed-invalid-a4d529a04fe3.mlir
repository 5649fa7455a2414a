

func.func @config_float_value(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected integer value}}
  // expected-error @below {{failed to parse Moec_ConfigAttr parameter 'num_stages' which is to be a `int64_t`}}
  moec.gemm %a, %b -> %c {config = #moec.config<num_stages = 1.5>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

