// moec-lower-to-kernels puts the target on the kernels' gpu.module as upstream
// does (#rocdl.target / #nvvm.target, from the registered matrix core), and
// moec-convert-kernels-to-llvm takes its chipset from there: with the
// module's moec.target removed after outlining, the AMD lowering still picks
// gfx942 (its buffer resource words are gfx942's).
//
// RUN: moec-opt %s --moec-lower-to-kernels | FileCheck %s --check-prefix=AMD
// RUN: sed -e 's/gfx942/sm_90/' %s | moec-opt --moec-lower-to-kernels | FileCheck %s --check-prefix=NV
// RUN: sed -e 's/gfx942/host/' %s | moec-opt --moec-lower-to-kernels | FileCheck %s --check-prefix=HOST
// RUN: moec-opt %s --moec-lower-to-kernels | sed -e "s/, moec.target = #moec.target<\"gfx942\">//" | moec-opt --pass-pipeline='builtin.module(gpu.module(arith-expand,lower-affine,convert-scf-to-cf,expand-strided-metadata,lower-affine,moec-convert-kernels-to-llvm))' | FileCheck %s --check-prefix=LLVM

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @g(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}

// AMD: gpu.module @moec_kernels [#rocdl.target<O = 3, chip = "gfx942", abi = "500">]
// NV: gpu.module @moec_kernels [#nvvm.target<O = 3, chip = "sm_90">]
// HOST: gpu.module @moec_kernels {
// LLVM-NOT: moec.target =
// LLVM: gpu.module @moec_kernels [#rocdl.target
// LLVM: rocdl.make.buffer.rsrc
