

func.func @gemm_scale_a_size(%a: memref<64x32xf8E5M2>, %b: memref<32x16xf8E5M2>, %c: memref<64x16xf16>, %s: memref<32xf32>) {
  // expected-error @below {{'moec.gemm' op scale_a size: scale_a (32) does not match M (64)}}
  moec.gemm %a, %b -> %c scale_a(%s : memref<32xf32>) {config = #moec.config<>} : memref<64x32xf8E5M2>, memref<32x16xf8E5M2> -> memref<64x16xf16>
  return
}

