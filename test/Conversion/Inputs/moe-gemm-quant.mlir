// fp8_w8a8 with per-token a_scale and per-channel b_scale.
func.func @fp8(%a: memref<?x512xFP8TYPE>, %w: memref<4x256x512xFP8TYPE>,
               %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>,
               %as: memref<?xf32>, %bs: memref<4x256xf32>, %c: memref<?x2x256xbf16>) {
  moec.moe_gemm %a, %w -> %c
    routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    a_scale(%as : memref<?xf32>) b_scale(%bs : memref<4x256xf32>) {
    top_k = 2 : i64,
    config = #moec.config<block_m = 64, block_n = 64, block_k = 64>
  } : memref<?x512xFP8TYPE>, memref<4x256x512xFP8TYPE> -> memref<?x2x256xbf16>
  return
}

// int8_w8a16: bf16 activations, i8 weights, per-channel b_scale.
func.func @int8(%a: memref<?x512xbf16>, %w: memref<4x256x512xi8>,
                %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>,
                %bs: memref<4x256xf32>, %c: memref<?x2x256xbf16>) {
  moec.moe_gemm %a, %w -> %c
    routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    b_scale(%bs : memref<4x256xf32>) {
    top_k = 2 : i64,
    config = #moec.config<block_m = 64, block_n = 64, block_k = 64>
  } : memref<?x512xbf16>, memref<4x256x512xi8> -> memref<?x2x256xbf16>
  return
}
