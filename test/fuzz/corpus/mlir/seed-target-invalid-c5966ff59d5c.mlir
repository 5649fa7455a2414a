

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @accumulator_over_budget_attention(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // The attention accumulator is block_h x d_v (128 x 512), not block_h x block_kv.
    // expected-error @below {{'moec.sparse_attention' op the f32 accumulator of 65536 elements needs 256 registers per lane over num_warps = 4 waves, more than the 128 available on gfx942 with waves_per_eu = 4}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 128, num_warps = 4, waves_per_eu = 4>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

