

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @fnuz_e5m2_on_gfx950(%a: memref<?x4096xf8E5M2FNUZ>, %w: memref<8x1024x4096xf8E5M2FNUZ>, %c: memref<?x2x1024xbf16>,
                                 %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8xf32>) {
    // expected-error @below {{'moec.moe_gemm' op A element type 'f8E5M2FNUZ' is not supported on gfx950, which takes the OCP fp8 types (f8E4M3FN, f8E5M2)}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<block_k = 64>} : memref<?x4096xf8E5M2FNUZ>, memref<8x1024x4096xf8E5M2FNUZ> -> memref<?x2x1024xbf16>
    return
  }
}

