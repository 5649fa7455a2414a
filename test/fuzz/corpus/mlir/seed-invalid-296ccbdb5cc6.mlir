

func.func @moe_gemm_npad_size(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                              %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<4xi32>) {
  // expected-error @below {{'moec.moe_gemm' op num_tokens_post_padded must hold 1 element, not 4}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<4xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

