

// ODS: q and kv_cache are f16 or bf16 (fp8 KV caches are not supported yet).
func.func @attn_fp8_kv(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xf8E4M3FN>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op operand #1 must be 3D memref of 16-bit float or bfloat16 type values}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xf8E4M3FN>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

