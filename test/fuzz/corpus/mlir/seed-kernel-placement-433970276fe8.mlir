// moec ops where no kernel can be launched from get an error at the op, in
// the file's terms, instead of an internal pass's ("expected the closest
// surrounding module to have the 'gpu.container_module' attribute",
// "failed to legalize operation 'gpu.launch_func'").
//
// RUN: moec-opt %s -split-input-file -verify-diagnostics -moec-lower-to-kernels
// RUN: not moec compile %S/Inputs/two-modules.mlir --arch gfx942 --emit kernels 2>&1 | FileCheck %s --check-prefix=TWO
// RUN: not moec compile %S/Inputs/two-modules.mlir --arch host --emit llvm 2>&1 | FileCheck %s --check-prefix=TWO
// TWO: two-modules.mlir:4:5: error: 'moec.gemm' op inside a nested module is not supported: moec compiles the ops of the file's top-level module only (a file with several top-level `module`s counts as nested; keep one module)
// TWO-NOT: gpu.container_module

module attributes {moec.target = #moec.target<"gfx942">} {
  module {
    func.func @nested(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
      // expected-error @below {{'moec.gemm' op inside a nested module is not supported}}
      moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
      return
    }
  }
}

