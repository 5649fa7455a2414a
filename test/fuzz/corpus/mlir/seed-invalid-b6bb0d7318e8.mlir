

func.func @moe_gemm_a_rows_per_copy_overflow(%a: memref<16x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<4611686018427387904x1024xbf16>,
                                             %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // 2^62 tokens x 4 copies wraps to 0 in 64 bits; the check must not compare
  // against that. The bound on buffer sizes (2^48 bytes) now stops C first.
  // expected-error @below {{'moec.moe_gemm' op C ('memref<4611686018427387904x1024xbf16>') is too large}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 4 : i64, a_per_copy, reduce, config = #moec.config<>} : memref<16x4096xbf16>, memref<8x1024x4096xbf16> -> memref<4611686018427387904x1024xbf16>
  return
}

