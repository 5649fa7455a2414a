

// ... nor is `false` (which would read as 0, a valid waves_per_eu).
func.func @config_bool_false(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected an integer, not a boolean}}
  // expected-error @below {{failed to parse Moec_ConfigAttr parameter 'waves_per_eu' which is to be a `int64_t`}}
  moec.gemm %a, %b -> %c {config = #moec.config<waves_per_eu = false>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

