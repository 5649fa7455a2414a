

func.func @group_m_zero(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{group_m = 0 must be between 1 and 256}}
  moec.gemm %a, %b -> %c {config = #moec.config<group_m = 0>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

