// moec-tile-epilogue: how the accumulator tile reaches memory, on the
// program's tile.store: `direct` from the matrix core's layout (no LDS), or
// `lds` through an LDS tile of block_m x block_n output elements (aliasing
// the K loop's rings; 64 x 64 x 2 bytes of bf16, x 4 of f32).
// RUN: moec-opt %s -split-input-file --moec-lower-gemm-to-tiles --moec-tile-epilogue | FileCheck %s

// CHECK-LABEL: func.func private @kinds_gemm(
// CHECK: moec.tile.store {{.*}} {moec.epilogue = #moec.epilogue<kind = direct, lds_bytes = 0>}
// CHECK-LABEL: func.func private @kinds_gemm_1(
// CHECK: moec.tile.store {{.*}} {moec.epilogue = #moec.epilogue<kind = lds, lds_bytes = 8192>}
// CHECK-LABEL: func.func private @kinds_gemm_2(
// CHECK: moec.tile.store {{.*}} {moec.epilogue = #moec.epilogue<kind = lds, lds_bytes = 16384>}
// The epilogue's arithmetic (scales, bias, activation) stays as it is:
// CHECK-LABEL: func.func private @kinds_gemm_3(
// CHECK: arith.maximumf
// CHECK: moec.tile.store {{.*}} {moec.epilogue = #moec.epilogue<kind = lds, lds_bytes = 8192>}
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @kinds(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>, %c32: memref<?x?xf32>) {
    moec.gemm %a, %b -> %c {config = #moec.config<epilogue = direct>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    moec.gemm %a, %b -> %c {config = #moec.config<epilogue = lds>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    moec.gemm %a, %b -> %c32 {config = #moec.config<epilogue = lds>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xf32>
    moec.gemm %a, %b -> %c {activation = #moec.activation<relu>, config = #moec.config<epilogue = lds>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}

// -----

// The same on NVIDIA and on the host (which runs the GPU lane program).
// CHECK-LABEL: func.func private @nv_gemm(
// CHECK: {moec.epilogue = #moec.epilogue<kind = lds, lds_bytes = 8192>}
module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @nv(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<epilogue = lds>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}

// -----

// CHECK-LABEL: func.func private @host_gemm(
// CHECK: {moec.epilogue = #moec.epilogue<kind = lds, lds_bytes = 8192>}
module attributes {moec.target = #moec.target<"host">} {
  func.func @host(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<epilogue = lds>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}
