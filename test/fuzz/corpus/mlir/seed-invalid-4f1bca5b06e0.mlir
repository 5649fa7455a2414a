

func.func @moe_gemm_a_rows_per_copy(%a: memref<16x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<16x1024xbf16>,
                                    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op A rows: rows of A (a_per_copy) (16) does not match tokens x top_k (32)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, a_per_copy, reduce, config = #moec.config<>} : memref<16x4096xbf16>, memref<8x1024x4096xbf16> -> memref<16x1024xbf16>
  return
}

