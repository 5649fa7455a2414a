

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @kpack2_on_gfx950_moe(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                  %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
    // expected-error @below {{'moec.moe_gemm' op kpack = 2 is not supported on gfx950 (its MFMA operands are already K-packed); use kpack = 1}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<block_k = 64, kpack = 2>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
    return
  }
}

