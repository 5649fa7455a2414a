

func.func @moe_gemm_a_scale_per_token_rows(%a: memref<16x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<16x2x1024xbf16>,
                                           %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<32xf32>, %bs: memref<8xf32>) {
  // expected-error @below {{'moec.moe_gemm' op a_scale shape: dim 0 of a_scale (32) does not match rows of A (16)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<32xf32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<16x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<16x2x1024xbf16>
  return
}

