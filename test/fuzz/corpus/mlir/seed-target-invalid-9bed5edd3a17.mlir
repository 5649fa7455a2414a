

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @block_kv_vs_mfma32(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    // expected-error @below {{'moec.sparse_attention' op block_kv = 16 is not a multiple of the 32x32 MFMA tile (v_mfma_f32_32x32x8_bf16) on gfx942}}
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 64, block_kv = 16, matrix_instr_nonkdim = 32>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

