

func.func @attn_tokens_out(%q: memref<4x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<2x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op tokens mismatch: tokens of q (4) does not match tokens of out (2)}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<4x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<2x128x512xbf16>
  return
}

