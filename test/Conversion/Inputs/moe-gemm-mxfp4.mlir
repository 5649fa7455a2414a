// An MXFP4 moe_gemm (gpt-oss w13 shape, TP 8 shard): W [E, N, K/2] packed
// e2m1 bytes, b_scale [E, N, K/32] e8m0.
func.func @mxfp4_moe_gemm(%a: memref<?x2880xbf16>, %w: memref<128x720x1440xi8>,
    %c: memref<?x4x720xbf16>, %s: memref<?xi32>, %e: memref<?xi32>,
    %n: memref<1xi32>, %bs: memref<128x720x90xf8E8M0FNU>) {
  moec.moe_gemm %a, %w -> %c
    routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    b_scale(%bs : memref<128x720x90xf8E8M0FNU>) {
    top_k = 4 : i64, mxfp4,
    config = #moec.config<block_m = 32, block_n = 64, block_k = 64, num_warps = 4,
                          num_stages = 2>
  } : memref<?x2880xbf16>, memref<128x720x1440xi8> -> memref<?x4x720xbf16>
  return
}
