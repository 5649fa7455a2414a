

func.func @attn_scale_zero(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op scale = 0.000000e+00 must be a finite positive number}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.0 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

