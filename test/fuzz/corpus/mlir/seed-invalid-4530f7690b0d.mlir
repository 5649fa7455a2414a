

func.func @attn_lse_heads(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>, %lse: memref<?x16xf32>) {
  // expected-error @below {{'moec.sparse_attention' op lse shape: dim 1 of lse (16) does not match h_q (128)}}
  moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : memref<?x16xf32>) {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

