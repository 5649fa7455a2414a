

func.func @moe_gemm_missing_routing(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>) {
  // expected-error @below {{expected 'routing'}}
  moec.moe_gemm %a, %w -> %c {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

//===----------------------------------------------------------------------===//
// moec.sparse_attention
//===----------------------------------------------------------------------===//

