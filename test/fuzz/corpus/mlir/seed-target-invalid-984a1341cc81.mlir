

module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @accumulator_over_budget_no_hint(%a: memref<?x4096xbf16>, %w: memref<8x4096x4096xbf16>, %c: memref<?x2x4096xbf16>,
                                             %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
    // One wave holding 256 x 256 f32 needs 1024 registers; a wave has at most 512.
    // expected-error-re @below {{'moec.moe_gemm' op the f32 accumulator of 65536 elements needs 1024 registers per lane over num_warps = 1 waves, more than the 512 available on gfx950{{$}}}}
    moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<block_m = 256, block_n = 256, num_warps = 1>} : memref<?x4096xbf16>, memref<8x4096x4096xbf16> -> memref<?x2x4096xbf16>
    return
  }
}

