

// ODS: the operands must be memrefs, not tensors.
func.func @gemm_tensor(%a: tensor<64x32xf16>, %b: memref<32x16xf16>, %c: memref<64x16xf16>) {
  // expected-error @below {{'moec.gemm' op operand #0 must be 2D memref of}}
  "moec.gemm"(%a, %b, %c) <{config = #moec.config<>, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0>}> : (tensor<64x32xf16>, memref<32x16xf16>, memref<64x16xf16>) -> ()
  return
}

