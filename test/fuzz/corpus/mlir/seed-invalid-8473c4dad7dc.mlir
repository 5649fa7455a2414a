

func.func @moe_gemm_expert_ids_too_small(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                         %s: memref<256xi32>, %e: memref<3xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op expert_ids holds 3 entries but 256 sorted ids in blocks of block_m = 64 need 4}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<256xi32>, memref<3xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

