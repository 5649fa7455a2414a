

// Sparse MLA with d_qk = 576: a 32-row KV tile is 32 x 576 bf16 = 36864
// bytes per stage, plus P (block_h x block_kv bf16 = 2048). 3 stages keep 2
// KV buffers: 75776 bytes.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_attention_stages3_gfx942(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // expected-error @below {{'moec.sparse_attention' op LDS use of 75776 bytes (block_h = 32, block_kv = 32, d_qk = 576, num_stages = 3, epilogue = direct) is over gfx942's limit of 65536 bytes}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 32, block_kv = 32, num_stages = 3>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

