// RUN: moec-opt %s | FileCheck %s
// RUN: moec-opt %s | moec-opt | FileCheck %s
// RUN: moec-opt %s -mlir-print-op-generic | moec-opt | FileCheck %s

// CHECK-LABEL: func @gemm_minimal
// CHECK: moec.gemm %{{.*}}, %{{.*}} -> %{{.*}} {config = #moec.config<>} : memref<64x32xf16>, memref<32x16xf16> -> memref<64x16xf16>
func.func @gemm_minimal(%a: memref<64x32xf16>, %b: memref<32x16xf16>, %c: memref<64x16xf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<64x32xf16>, memref<32x16xf16> -> memref<64x16xf16>
  return
}
