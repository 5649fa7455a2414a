// DeepSeek-V3.2 sparse MLA decode: 128 query heads share one latent KV head
// of d_qk = 576 (512 latent + 64 rope); every query token attends to the
// top-2048 KV rows its indexer chose, by flat row number into a paged cache
// of 64-row pages (-1 marks an unused slot). V is the first 512 columns of
// the latent rows. scale = 1 / sqrt(192), the unabsorbed q/k head size.
//
//   moec compile examples/deepseek_sparse_mla.mlir --arch gfx942 --emit mlir
module {
  func.func @sparse_mla_decode(%q: memref<?x128x576xbf16>,
                               %kv_cache: memref<?x64x576xbf16>,
                               %indices: memref<?x2048xi32>,
                               %out: memref<?x128x512xbf16>,
                               %lse: memref<?x128xf32>) {
    moec.sparse_attention %q, %kv_cache, %indices -> %out lse(%lse : memref<?x128xf32>) {
      scale = 0.0721687836 : f32,
      config = #moec.config<block_h = 16, block_kv = 32, num_warps = 4,
                            num_stages = 2, matrix_instr_nonkdim = 16>
    } : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32>
        -> memref<?x128x512xbf16>
    return
  }
}
