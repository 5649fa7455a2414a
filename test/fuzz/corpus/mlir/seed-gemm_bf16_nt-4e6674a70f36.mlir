// A linear layer, y = x * W^T, bf16 in and out, every dimension dynamic.
// Used by test/e2e/*.test through `moec run --arch host --sizes M=..,N=..,K=..`.
module {
  func.func @linear_bf16(%x: memref<?x?xbf16>, %w: memref<?x?xbf16>,
                         %y: memref<?x?xbf16>) {
    moec.gemm %x, %w -> %y {
      transpose_b,
      config = #moec.config<block_m = 64, block_n = 64, block_k = 32>
    } : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}
