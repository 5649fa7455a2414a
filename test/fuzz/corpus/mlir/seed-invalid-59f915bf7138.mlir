

func.func @moe_gemm_top_k_zero(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                               %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op attribute 'top_k' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 0 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

