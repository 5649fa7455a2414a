

module attributes {moec.target = #moec.target<"gfx90a">} {
  func.func @lanes_over_limit_gfx90a(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // expected-error @below {{'moec.sparse_attention' op num_warps = 32 gives 2048 lanes per workgroup, over gfx90a's limit of 1024}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 128, block_kv = 64, num_warps = 32>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

