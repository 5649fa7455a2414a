

func.func @config_missing_close(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{unbalanced '<' character in pretty dialect name}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 64} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

