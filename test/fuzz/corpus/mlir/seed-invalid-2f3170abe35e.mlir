

func.func @moe_gemm_fp8_b_scale_rank3(%a: memref<?x4096xf8E4M3FN>, %w: memref<8x1024x4096xf8E4M3FN>, %c: memref<?x2x1024xbf16>,
                                      %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8x8x32xf32>) {
  // A 3-D b_scale is block-wise, which needs group_n/group_k.
  // expected-error @below {{'moec.moe_gemm' op b_scale must be per expert [E], per channel [E, N] or block-wise, not rank 3}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8x8x32xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FN>, memref<8x1024x4096xf8E4M3FN> -> memref<?x2x1024xbf16>
  return
}

