

// Each size fits, the product does not.
func.func @huge_product(%a: memref<16777216x16777216xf16>, %b: memref<16777216x16xf16>, %c: memref<16777216x16xf16>) {
  // expected-error @below {{A ('memref<16777216x16777216xf16>') is too large}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<16777216x16777216xf16>, memref<16777216x16xf16> -> memref<16777216x16xf16>
  return
}
