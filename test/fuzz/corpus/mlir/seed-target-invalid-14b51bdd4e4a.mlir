

// moe_gemm counts each operand with its own element size. int8_w8a16:
// 256 x 128 bf16 + 128 x 256 i8 = 98304 bytes.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_moe_int8(%a: memref<?x4096xbf16>, %w: memref<8x4096x4096xi8>, %c: memref<?x2x4096xbf16>,
                          %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x4096xf32>) {
    // expected-error @below {{'moec.moe_gemm' op LDS use of 98304 bytes (block_m = 256, block_n = 256, block_k = 128, num_stages = 2, epilogue = direct) is over gfx942's limit of 65536 bytes}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x4096xf32>) {top_k = 2 : i64, config = #moec.config<block_m = 256, block_n = 256, block_k = 128>} : memref<?x4096xbf16>, memref<8x4096x4096xi8> -> memref<?x2x4096xbf16>
    return
  }
}

