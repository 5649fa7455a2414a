

// `true` is no integer (the generic parser would read it as -1).
func.func @config_bool_true(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected an integer, not a boolean}}
  // expected-error @below {{failed to parse Moec_ConfigAttr parameter 'num_stages' which is to be a `int64_t`}}
  moec.gemm %a, %b -> %c {config = #moec.config<num_stages = true>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

