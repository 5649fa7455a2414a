// moec.sparse_window_indices alone (moec-run-window.test).
func.func @window(%lens: memref<?xi32>, %bt: memref<?x?xi32>, %idx: memref<?x2048xi32>) {
  moec.sparse_window_indices %lens, %bt -> %idx
    {page_size = 64 : i64, config = #moec.config<>}
    : memref<?xi32>, memref<?x?xi32> -> memref<?x2048xi32>
  return
}
