

func.func @attn_d_v_too_large(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x640xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op d_v (640) must not exceed d_qk (576): V is the first d_v columns of the latent cache}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x640xbf16>
  return
}

