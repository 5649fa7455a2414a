

func.func @moe_gemm_int8_with_a_scale(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xi8>, %c: memref<?x2x1024xbf16>,
                                      %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8x1024xf32>) {
  // expected-error @below {{'moec.moe_gemm' op int8_w8a16 needs b_scale (per channel [E, N]) and no a_scale}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8x1024xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xi8> -> memref<?x2x1024xbf16>
  return
}

