

func.func @moe_gemm_fp8_no_a_scale(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                   %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8xf32>) {
  // expected-error @below {{'moec.moe_gemm' op fp8_w8a8 needs both a_scale and b_scale}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

