

func.func @moe_gemm_blockwise_unquantized(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                          %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op block-wise scales (group_n, group_k) need fp8_w8a8 inputs}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, group_n = 128 : i64, group_k = 128 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

