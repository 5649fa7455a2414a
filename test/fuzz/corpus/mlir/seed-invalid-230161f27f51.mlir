

func.func @config_string_value(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected integer value}}
  // expected-error @below {{failed to parse Moec_ConfigAttr parameter 'block_m' which is to be a `int64_t`}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = "64">}
   : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

