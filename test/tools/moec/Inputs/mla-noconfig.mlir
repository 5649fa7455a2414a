// A sparse MLA decode whose config the file does not give (no `config`
// attribute): moec compile/run pick it per decode shape
// (attention-config.test, tune-attention.test).
func.func @mla(%q: memref<?x16x576xbf16>, %kv: memref<?x16x576xbf16>,
               %idx: memref<?x64xi32>, %out: memref<?x16x512xbf16>,
               %lse: memref<?x16xf32>, %ws: memref<?x?x513xf32>) {
  moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : memref<?x16xf32>)
      workspace(%ws : memref<?x?x513xf32>) {
    scale = 0.0721687836 : f32
  } : memref<?x16x576xbf16>, memref<?x16x576xbf16>, memref<?x64xi32>
      -> memref<?x16x512xbf16>
  return
}
