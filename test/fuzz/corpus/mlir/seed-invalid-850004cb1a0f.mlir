

func.func @waves_per_eu_negative(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{waves_per_eu = -2 must be between 0 and 16}}
  moec.gemm %a, %b -> %c {config = #moec.config<waves_per_eu = -2>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

