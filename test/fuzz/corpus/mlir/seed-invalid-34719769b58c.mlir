

func.func @attn_d_qk_mismatch(%q: memref<?x128x576xbf16>, %kv: memref<?x64x512xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op d_qk mismatch: d_qk of q (576) does not match d_qk of kv_cache (512)}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x512xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

