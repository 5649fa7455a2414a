

func.func @moe_gemm_no_reduce_rank(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x1024xbf16>,
                                   %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op without reduce, C must be [tokens, top_k, N], not rank 2}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x1024xbf16>
  return
}

