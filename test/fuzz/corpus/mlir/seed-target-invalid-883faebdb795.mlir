

// An lds epilogue stages the 64 x 512 bf16 output: 65536 + P's 4096 bytes.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lds_attention_epilogue_gfx942(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // expected-error @below {{'moec.sparse_attention' op LDS use of 69632 bytes (block_h = 64, block_kv = 32, d_qk = 576, num_stages = 2, epilogue = lds) is over gfx942's limit of 65536 bytes}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 64, block_kv = 32, epilogue = lds>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

