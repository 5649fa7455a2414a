

func.func @num_warps_not_pow2(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{num_warps = 6 must be a power of two between 1 and 32}}
  moec.gemm %a, %b -> %c {config = #moec.config<num_warps = 6>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

