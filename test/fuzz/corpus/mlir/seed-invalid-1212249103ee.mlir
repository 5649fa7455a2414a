

func.func @config_duplicate_key(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{duplicate or unknown struct parameter name: block_m}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 64, block_m = 128>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

