

module attributes {moec.target = #moec.target<"gfx90a">} {
  func.func @fp8_ocp_on_gfx90a(%a: memref<?x4096xf8E5M2>, %w: memref<8x1024x4096xf8E5M2>, %c: memref<?x2x1024xbf16>,
                               %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8xf32>) {
    // expected-error @below {{'moec.moe_gemm' op A element type 'f8E5M2' is not supported on gfx90a: it has no fp8 matrix instructions}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<block_k = 64>} : memref<?x4096xf8E5M2>, memref<8x1024x4096xf8E5M2> -> memref<?x2x1024xbf16>
    return
  }
}

