// The gate/up projection fused with silu_and_mul: W [E, N, K] with gate
// rows [0, N/2) and up rows [N/2, N), C [tokens, top_k, N/2].
func.func @gate_up(%a: memref<?x4096xbf16>, %w: memref<8x2048x4096xbf16>,
                   %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>,
                   %c: memref<?x2x1024xbf16>) {
  moec.moe_gemm %a, %w -> %c
    routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>) {
    top_k = 2 : i64, activation = #moec.activation<silu>,
    config = #moec.config<block_m = 64, block_n = 128, block_k = 64, num_warps = 4>
  } : memref<?x4096xbf16>, memref<8x2048x4096xbf16> -> memref<?x2x1024xbf16>
  return
}
