// The ISA-comparison GEMM: bf16, C[M, N] = A[M, K] x B[K, N], the layout of
// Triton's tutorial matmul that triton_gfx942_isa.py compiles.
func.func @isa(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}
