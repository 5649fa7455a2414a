

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @ocp_on_gfx950(%a: memref<?x4096xf8E4M3FN>, %b: memref<4096x4096xf8E4M3FN>, %c: memref<?x4096xbf16>,
                           %a5: memref<?x4096xf8E5M2>, %w5: memref<8x1024x4096xf8E5M2>, %c5: memref<?x2x1024xbf16>,
                           %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8xf32>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FN>, memref<4096x4096xf8E4M3FN> -> memref<?x4096xbf16>
    moec.moe_gemm %a5, %w5 -> %c5 routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<block_k = 64>} : memref<?x4096xf8E5M2>, memref<8x1024x4096xf8E5M2> -> memref<?x2x1024xbf16>
    return
  }
}

