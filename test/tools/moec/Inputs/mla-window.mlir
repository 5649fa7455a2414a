// The window short-circuit of sparse MLA decode: sparse_window_indices
// fills the index rows of tokens whose window is not longer than topk
// (identity through the block table, -1 past the window), the caller's
// top-k rows stay, then sparse_attention reads them (moec-run-window.test).
func.func @mla_window(%lens: memref<?xi32>, %bt: memref<?x?xi32>,
                      %q: memref<?x16x576xbf16>, %kv: memref<?x16x576xbf16>,
                      %idx: memref<?x64xi32>, %out: memref<?x16x512xbf16>,
                      %lse: memref<?x16xf32>, %ws: memref<?x?x513xf32>) {
  moec.sparse_window_indices %lens, %bt -> %idx
    {page_size = 16 : i64, config = #moec.config<>}
    : memref<?xi32>, memref<?x?xi32> -> memref<?x64xi32>
  moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : memref<?x16xf32>)
      workspace(%ws : memref<?x?x513xf32>) {
    scale = 0.0721687836 : f32, config = #moec.config<kv_splits = 4>
  } : memref<?x16x576xbf16>, memref<?x16x576xbf16>, memref<?x64xi32>
      -> memref<?x16x512xbf16>
  return
}
