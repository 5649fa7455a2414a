

func.func @gemm_k_mismatch_transposed(%a: memref<32x64xf16>, %b: memref<32x64xf16>, %c: memref<64x64xf16>) {
  // With transpose_a, A is K x M: K of A is 32, and B is N x K with transpose_b.
  // expected-error @below {{'moec.gemm' op K mismatch: K of A (32) does not match K of B (64)}}
  moec.gemm %a, %b -> %c {transpose_a, transpose_b, config = #moec.config<>} : memref<32x64xf16>, memref<32x64xf16> -> memref<64x64xf16>
  return
}

