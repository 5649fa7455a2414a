

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_attention_block_kv64_gfx942(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // expected-error @below {{'moec.sparse_attention' op LDS use of 77824 bytes (block_h = 32, block_kv = 64, d_qk = 576, num_stages = 1, epilogue = direct) is over gfx942's limit of 65536 bytes}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 32, block_kv = 64, num_stages = 1>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

