

// The default attention tile (block_h 16 x block_kv 32) is two 16x16 MFMA
// tiles, too few for the default 4 waves.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @attention_default_config_gfx942(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // expected-error @below {{'moec.sparse_attention' op num_warps = 4 waves do not evenly cover the 16x32 tile (2 16x16 MFMA tiles) on gfx942}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

