// Two top-level modules: the parser wraps them in one, so the gemm is nested.
module {
  func.func @first(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
    return
  }
}
module {
}
