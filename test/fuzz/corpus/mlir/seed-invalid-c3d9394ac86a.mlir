

func.func @moe_gemm_fp8_fnuz_with_ocp(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FN>, %c: memref<?x2x1024xbf16>,
                                      %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8xf32>) {
  // expected-error @below {{'moec.moe_gemm' op A ('f8E4M3FNUZ') and W ('f8E4M3FN') mix the fnuz and OCP fp8 encodings}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FN> -> memref<?x2x1024xbf16>
  return
}

