// Kernel names are unique across the kernel module and the host module:
// two gemms in one function, a user function named like a kernel (the host
// lowering moves kernels into the host module), and many ops in one function
// all compile (each used to fail with "redefinition of symbol named 'g_gemm'").
//
// RUN: moec compile %s --arch gfx942 --emit kernels | FileCheck %s --check-prefix=GPU
// RUN: moec compile %s --arch host --emit llvm | FileCheck %s --check-prefix=HOST
// RUN: moec compile %s --arch sm_90 --emit ptx -o /dev/null
// RUN: %python %s.gen.py 100 > %t.mlir
// RUN: moec compile %t.mlir --arch host --emit llvm | grep -c 'define void @many_gemm' | FileCheck %s --check-prefix=MANY
// RUN: moec compile %t.mlir --arch gfx942 --emit kernels | grep -c 'llvm.func @many_gemm' | FileCheck %s --check-prefix=MANY
// MANY: 100

// GPU-DAG: llvm.func @f_gemm(
// GPU-DAG: llvm.func @f_gemm_1(
// GPU-DAG: llvm.func @g_gemm_1(
// GPU-DAG: func.func @g_gemm(
// HOST-DAG: define void @f_gemm(
// HOST-DAG: define void @f_gemm_1(
// HOST-DAG: define void @g_gemm(
// HOST-DAG: define void @g_gemm_1(
func.func @f(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>, %d: memref<?x?xf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 32, block_n = 32, block_k = 32>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  moec.gemm %a, %b -> %d {config = #moec.config<block_m = 32, block_n = 32, block_k = 32>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

func.func @g(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 32, block_n = 32, block_k = 32>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

func.func @g_gemm(%x: memref<?xf32>) {
  return
}
