

func.func @moe_gemm_k_mismatch(%a: memref<?x4096xbf16>, %w: memref<8x1024x2048xbf16>, %c: memref<?x2x1024xbf16>,
                               %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op K mismatch: K of A (4096) does not match K of W (2048)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x2048xbf16> -> memref<?x2x1024xbf16>
  return
}

