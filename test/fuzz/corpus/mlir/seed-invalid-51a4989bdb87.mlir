

func.func @config_unknown_key(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{duplicate or unknown struct parameter name: block_q}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_q = 64>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

