func.func @blockwise(%a: memref<?x512xf8E4M3FNUZ>, %w: memref<4x256x512xf8E4M3FNUZ>,
                     %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>,
                     %as: memref<?x4xf32>, %bs: memref<4x2x4xf32>, %c: memref<?x2x256xbf16>) {
  moec.moe_gemm %a, %w -> %c
    routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    a_scale(%as : memref<?x4xf32>) b_scale(%bs : memref<4x2x4xf32>) {
    top_k = 2 : i64, group_n = 128 : i64, group_k = 128 : i64,
    config = #moec.config<block_m = 64, block_n = 64, block_k = 64>
  } : memref<?x512xf8E4M3FNUZ>, memref<4x256x512xf8E4M3FNUZ> -> memref<?x2x256xbf16>
  return
}
