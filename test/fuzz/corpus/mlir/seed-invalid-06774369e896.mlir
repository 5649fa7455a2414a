

func.func @num_warps_too_large(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{num_warps = 64 must be a power of two between 1 and 32}}
  moec.gemm %a, %b -> %c {config = #moec.config<num_warps = 64>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

