

func.func @gemm_scale_b_size(%a: memref<?x32xf8E5M2>, %b: memref<16x32xf8E5M2>, %c: memref<?x16xf16>, %s: memref<32xf32>) {
  // With transpose_b, N is dim 0 of B.
  // expected-error @below {{'moec.gemm' op scale_b size: scale_b (32) does not match N (16)}}
  moec.gemm %a, %b -> %c scale_b(%s : memref<32xf32>) {transpose_b, config = #moec.config<>} : memref<?x32xf8E5M2>, memref<16x32xf8E5M2> -> memref<?x16xf16>
  return
}

