

func.func @block_m_negative(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{block_m = -16 must be a power of two between 16 and 256}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = -16>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

