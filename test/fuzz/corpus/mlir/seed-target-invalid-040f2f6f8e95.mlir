

module attributes {moec.target = #moec.target<"gfx90a">} {
  func.func @waves_per_eu_over_limit_attention(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // expected-error @below {{'moec.sparse_attention' op waves_per_eu = 16 is over gfx90a's limit of 8 waves per SIMD}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 32, waves_per_eu = 16>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

