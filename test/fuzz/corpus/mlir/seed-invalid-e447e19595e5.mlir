

func.func @kpack_zero(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{kpack = 0 must be 1 or 2}}
  moec.gemm %a, %b -> %c {config = #moec.config<kpack = 0>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

//===----------------------------------------------------------------------===//
// #moec.config: malformed syntax
//===----------------------------------------------------------------------===//

