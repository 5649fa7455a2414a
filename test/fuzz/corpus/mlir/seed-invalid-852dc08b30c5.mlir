

func.func @block_n(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{block_n = 96 must be a power of two between 16 and 256}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_n = 96>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

