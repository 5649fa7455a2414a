

func.func @attn_elt_mismatch(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op q ('bf16') and kv_cache ('f16') must have the same element type}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

