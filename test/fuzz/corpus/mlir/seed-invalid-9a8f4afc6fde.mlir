

func.func @gemm_operand_type_mismatch(%a: memref<?x32xf16>, %b: memref<32x16xf16>, %c: memref<?x16xf16>) {
  // expected-note @above {{prior use here}}
  // expected-error @below {{use of value '%a' expects different type than prior uses: 'memref<?x64xf16>' vs 'memref<?x32xf16>'}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x64xf16>, memref<32x16xf16> -> memref<?x16xf16>
  return
}

