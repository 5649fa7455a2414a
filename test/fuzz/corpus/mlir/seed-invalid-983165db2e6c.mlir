

func.func @moe_gemm_group_n_alone(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                  %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<?x32xf32>, %bs: memref<8x8x32xf32>) {
  // expected-error @below {{'moec.moe_gemm' op group_n and group_k (the block_shape of block-wise scales) must be given together}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<?x32xf32>) b_scale(%bs : memref<8x8x32xf32>) {top_k = 2 : i64, group_n = 128 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

