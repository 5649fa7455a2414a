

// Another dialect's attribute is that dialect's business.
func.func @foreign_attr_ok(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  moec.gemm %a, %b -> %c {test.note = "x", config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

