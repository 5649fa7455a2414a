

func.func @moe_gemm_f32(%a: memref<?x4096xf32>, %w: memref<8x1024x4096xf32>, %c: memref<?x2x1024xf32>,
                        %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op A ('f32') and W ('f32') must be the same f16/bf16 type}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf32>, memref<8x1024x4096xf32> -> memref<?x2x1024xf32>
  return
}

