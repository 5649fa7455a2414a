

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @d_qk_vs_mfma_k(%q: memref<?x16x72xbf16>, %kv: memref<?x64x72xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x16x64xbf16>) {
    // For attention the K of Q x K^T is d_qk.
    // expected-error @below {{'moec.sparse_attention' op d_qk = 72 is not a multiple of the MFMA K (16) x kpack (1) = 16 of v_mfma_f32_16x16x16_bf16 on gfx942}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.1 : f32, config = #moec.config<block_h = 16, block_kv = 64>} : memref<?x16x72xbf16>, memref<?x64x72xbf16>, memref<?x2048xi32> -> memref<?x16x64xbf16>
    return
  }
}

