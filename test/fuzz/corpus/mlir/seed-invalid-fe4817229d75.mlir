

func.func @moe_gemm_scales_unquantized(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                       %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8xf32>) {
  // expected-error @below {{'moec.moe_gemm' op scales are only allowed with fp8_w8a8 or int8_w8a16 weights, not 'bf16'}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

