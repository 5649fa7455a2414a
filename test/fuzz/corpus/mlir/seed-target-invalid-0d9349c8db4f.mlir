

// fp8_w8a8 with the same tile: 256 x 128 + 128 x 256 one-byte elements =
// 65536, which fits; int8_w8a16 with block_k 64 (49152) fits as well.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_moe_fits(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x4096x4096xf8E4M3FNUZ>, %c: memref<?x2x4096xbf16>,
                          %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8xf32>,
                          %a16: memref<?x4096xbf16>, %w8: memref<8x4096x4096xi8>, %bs8: memref<8x4096xf32>) {
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<block_m = 256, block_n = 256, block_k = 128>} : memref<?x4096xf8E4M3FNUZ>, memref<8x4096x4096xf8E4M3FNUZ> -> memref<?x2x4096xbf16>
    moec.moe_gemm %a16, %w8 -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs8 : memref<8x4096xf32>) {top_k = 2 : i64, config = #moec.config<block_m = 256, block_n = 256, block_k = 64>} : memref<?x4096xbf16>, memref<8x4096x4096xi8> -> memref<?x2x4096xbf16>
    return
  }
}

