

func.func @attn_indices_i64(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi64>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op operand #2 must be 2D memref of 32-bit signless integer values}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi64> -> memref<?x128x512xbf16>
  return
}

