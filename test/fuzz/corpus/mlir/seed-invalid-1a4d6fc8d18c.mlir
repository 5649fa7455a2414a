

func.func @gemm_k_mismatch(%a: memref<64x32xf16>, %b: memref<16x64xf16>, %c: memref<64x64xf16>) {
  // expected-error @below {{'moec.gemm' op K mismatch: K of A (32) does not match K of B (16)}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<64x32xf16>, memref<16x64xf16> -> memref<64x64xf16>
  return
}

