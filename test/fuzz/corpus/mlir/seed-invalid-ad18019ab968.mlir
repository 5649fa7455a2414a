

// ODS: routing buffers are 1-D i32.
func.func @moe_gemm_sorted_i64(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                               %s: memref<?xi64>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op operand #3 must be 1D memref of 32-bit signless integer values}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi64>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

