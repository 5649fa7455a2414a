

func.func @attn_scale_f64(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op attribute 'scale' failed to satisfy constraint: 32-bit float attribute}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f64, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

