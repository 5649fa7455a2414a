// RUN: moec-opt %s -split-input-file -verify-diagnostics

// Target-independent rules: one case per rule of ConfigAttr::verify,
// TargetAttr::verify, the ODS constraints and each op verifier in
// lib/Dialect/MoecOps.cpp, plus malformed syntax. Rules that need a
// `moec.target` are in target-invalid.mlir.

//===----------------------------------------------------------------------===//
// #moec.config: ConfigAttr::verify
//===----------------------------------------------------------------------===//

func.func @block_m_not_pow2(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{block_m = 48 must be a power of two between 16 and 256}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 48>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

