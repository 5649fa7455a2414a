

func.func @attn_heads(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x64x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op heads mismatch: h_q of q (128) does not match heads of out (64)}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x64x512xbf16>
  return
}

