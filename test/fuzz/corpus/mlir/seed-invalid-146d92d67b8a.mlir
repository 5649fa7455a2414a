

func.func @moe_gemm_blockwise_a_scale_k_groups(%a: memref<?x4000xf8E4M3FNUZ>, %w: memref<8x1024x4000xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                               %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<?x31xf32>, %bs: memref<8x8x32xf32>) {
  // ceil(4000 / 128) = 32: the last group is partial but still has a scale.
  // expected-error @below {{'moec.moe_gemm' op a_scale shape: dim 1 of a_scale (31) does not match ceil(K / group_k) (32)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<?x31xf32>) b_scale(%bs : memref<8x8x32xf32>) {top_k = 2 : i64, group_n = 128 : i64, group_k = 128 : i64, config = #moec.config<>} : memref<?x4000xf8E4M3FNUZ>, memref<8x1024x4000xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

