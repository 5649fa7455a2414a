

func.func @config_missing(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{requires attribute 'config'}}
  moec.gemm %a, %b -> %c : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

