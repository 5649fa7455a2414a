

func.func @config_value_overflows(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{integer value too large}}
  // expected-error @below {{failed to parse Moec_ConfigAttr parameter 'block_m' which is to be a `int64_t`}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 99999999999999999999>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

