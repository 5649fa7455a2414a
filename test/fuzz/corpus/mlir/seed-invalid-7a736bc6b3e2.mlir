

func.func @moe_gemm_int8_fp8_activations(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xi8>, %c: memref<?x2x1024xbf16>,
                                         %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x1024xf32>) {
  // expected-error @below {{'moec.moe_gemm' op int8_w8a16 needs f16 or bf16 activations, not 'f8E4M3FNUZ'}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x1024xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xi8> -> memref<?x2x1024xbf16>
  return
}

