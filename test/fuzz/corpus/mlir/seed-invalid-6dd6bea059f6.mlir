

func.func @moe_gemm_topk_weights_top_k(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                       %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %tw: memref<?x4xf32>) {
  // expected-error @below {{'moec.moe_gemm' op topk_weights shape: dim 1 of topk_weights (4) does not match top_k (2)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) topk_weights(%tw : memref<?x4xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

