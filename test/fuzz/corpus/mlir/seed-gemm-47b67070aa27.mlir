// A plain bf16 GEMM: the down projection of Llama-3-8B's MLP,
// y[tokens, 4096] = x[tokens, 14336] * W[4096, 14336]^T, tokens known only at
// run time. The weight is stored as a linear layer keeps it (N x K).
//
//   moec compile examples/gemm.mlir --arch gfx942 --emit mlir
module {
  func.func @mlp_down(%x: memref<?x14336xbf16>, %w: memref<4096x14336xbf16>,
                      %y: memref<?x4096xbf16>) {
    moec.gemm %x, %w -> %y {
      transpose_b,
      config = #moec.config<block_m = 128, block_n = 128, block_k = 64,
                            group_m = 8, num_warps = 4, num_stages = 2,
                            waves_per_eu = 2, matrix_instr_nonkdim = 16,
                            kpack = 1, epilogue = direct>
    } : memref<?x14336xbf16>, memref<4096x14336xbf16> -> memref<?x4096xbf16>
    return
  }
}
