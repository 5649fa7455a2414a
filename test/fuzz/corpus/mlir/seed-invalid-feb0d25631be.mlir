

func.func @attn_lse_tokens(%q: memref<4x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<4x2048xi32>, %out: memref<4x128x512xbf16>, %lse: memref<8x128xf32>) {
  // expected-error @below {{'moec.sparse_attention' op lse shape: dim 0 of lse (8) does not match tokens (4)}}
  moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : memref<8x128xf32>) {scale = 0.04 : f32, config = #moec.config<>} : memref<4x128x576xbf16>, memref<?x64x576xbf16>, memref<4x2048xi32> -> memref<4x128x512xbf16>
  return
}

