

func.func @gemm_m_mismatch(%a: memref<64x32xf16>, %b: memref<32x16xf16>, %c: memref<128x16xf16>) {
  // expected-error @below {{'moec.gemm' op M mismatch: M of A (64) does not match rows of C (128)}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<64x32xf16>, memref<32x16xf16> -> memref<128x16xf16>
  return
}

