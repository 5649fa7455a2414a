// RUN: moec-opt %s -split-input-file -verify-diagnostics

// Rules of lib/Dialect/TargetChecks.cpp: they apply only inside a module with
// a `moec.target`. Each failing case is paired with a split that has no
// expected-error and shows where the same config (or its neighbour) passes,
// so that a rule firing too eagerly fails the test as well.
//
// Numbers used below:
//   LDS: gfx90a/gfx942 65536, gfx950 163840, sm_80 166912, sm_90 232448.
//   AMD stages: num_stages <= 2 (and the legacy 0) use one LDS buffer, n > 2
//   use n - 1; NVIDIA uses num_stages buffers (0 means 2).
//   VGPR budget per lane: 512, or 512 / waves_per_eu rounded down to 8.

//===----------------------------------------------------------------------===//
// Workgroup size: num_warps x wave size <= 1024 lanes
//===----------------------------------------------------------------------===//

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @lanes_over_limit_gfx942(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
    // expected-error @below {{'moec.gemm' op num_warps = 32 gives 2048 lanes per workgroup, over gfx942's limit of 1024}}
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 128, num_warps = 32>} : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}

