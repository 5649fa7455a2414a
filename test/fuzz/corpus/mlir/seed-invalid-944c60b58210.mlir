

func.func @moe_gemm_fp8_with_bf16(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                  %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op A ('f8E4M3FNUZ') and W ('bf16') must be the same f16/bf16 type}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

