

func.func @attn_lse_f16(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>, %lse: memref<?x128xf16>) {
  // expected-error @below {{'moec.sparse_attention' op operand #4 must be 2D memref of 32-bit float values}}
  moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : memref<?x128xf16>) {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

