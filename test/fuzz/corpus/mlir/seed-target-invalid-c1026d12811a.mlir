

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @accumulator_over_budget(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // 256 x 256 f32 over 4 waves of 64 lanes = 256 registers; 4 waves per SIMD leave 128.
    // expected-error @below {{'moec.gemm' op the f32 accumulator of 65536 elements needs 256 registers per lane over num_warps = 4 waves, more than the 128 available on gfx942 with waves_per_eu = 4}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, block_n = 256, num_warps = 4, waves_per_eu = 4>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

