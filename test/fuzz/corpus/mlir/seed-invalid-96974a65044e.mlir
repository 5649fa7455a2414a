

func.func @config_missing_open(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected '<'}}
  moec.gemm %a, %b -> %c {config = #moec.config} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

