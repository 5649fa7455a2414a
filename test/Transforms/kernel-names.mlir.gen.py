# Writes one function holding N moec.gemm ops (kernel-names.mlir).
import sys
n = int(sys.argv[1])
print("func.func @many(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {")
for _ in range(n):
    print("  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 32, "
          "block_n = 32, block_k = 32>} : memref<?x?xf16>, memref<?x?xf16> "
          "-> memref<?x?xf16>")
print("  return\n}")
