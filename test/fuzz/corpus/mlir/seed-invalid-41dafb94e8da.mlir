

func.func @kpack(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{kpack = 4 must be 1 or 2}}
  moec.gemm %a, %b -> %c {config = #moec.config<kpack = 4>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

