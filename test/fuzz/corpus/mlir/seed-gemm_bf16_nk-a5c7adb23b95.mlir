// The benchmark GEMM: bf16, C[M, N] = A[M, K] x W[N, K]^T (weights as a
// linear layer keeps them), every size given at run time with --sizes.
func.func @bench(%a: memref<?x?xbf16>, %w: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %w -> %c {transpose_b, config = #moec.config<>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}
