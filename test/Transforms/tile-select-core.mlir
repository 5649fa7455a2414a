// moec-tile-select-core: the matrix core of each tile.dot and the lanes it
// is distributed over, from the program's KernelPlan on the module's target.
// RUN: moec-opt %s -split-input-file --moec-lower-gemm-to-tiles --moec-tile-select-core | FileCheck %s

// gfx942, bf16, the defaults: MFMA 16x16x16, 4 waves of 64 lanes.
// CHECK-LABEL: func.func private @mfma_gemm
// CHECK: moec.tile.dot
// CHECK-SAME: moec.core = #moec.core<kind = "mfma", instr = "v_mfma_f32_16x16x16_bf16", instr_k = 16, nonkdim = 16, kpack = 1, num_warps = 4, lanes = 256, waves_per_eu = 2>
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @mfma(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64, waves_per_eu = 2>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}

// -----

// matrix_instr_nonkdim = 32 and kpack = 2: the 32x32 family's K = 8
// instruction, two of its K steps per LDS read; 8 waves.
// CHECK-LABEL: func.func private @nonkdim32_gemm
// CHECK-SAME: moec.config
// CHECK: moec.tile.dot
// CHECK-SAME: #moec.core<kind = "mfma", instr = "v_mfma_f32_32x32x8_f16", instr_k = 8, nonkdim = 32, kpack = 2, num_warps = 8, lanes = 512, waves_per_eu = 0>
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @nonkdim32(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 128, block_k = 32, num_warps = 8, matrix_instr_nonkdim = 32, kpack = 2>}
      : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
    return
  }
}

// -----

// sm_90: mma.sync m16n8k16, warps of 32 lanes; no nonkdim, kpack 1 whatever
// the config says (an AMD knob).
// CHECK-LABEL: func.func private @nvidia_gemm
// CHECK: moec.tile.dot
// CHECK-SAME: #moec.core<kind = "mma_sync", instr = "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32", instr_k = 16, nonkdim = 0, kpack = 1, num_warps = 4, lanes = 128, waves_per_eu = 0>
module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @nvidia(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<kpack = 2>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}

// -----

// The host: per-lane sub-tiles (no instruction), host waves of 64 lanes,
// kpack kept (its LDS read width).
// CHECK-LABEL: func.func private @host_gemm
// CHECK: moec.tile.dot
// CHECK-SAME: #moec.core<kind = "host", instr = "", instr_k = 0, nonkdim = 0, kpack = 2, num_warps = 2, lanes = 128, waves_per_eu = 0>
module attributes {moec.target = #moec.target<"host">} {
  func.func @host(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf32>) {
    moec.gemm %a, %b -> %c {config = #moec.config<num_warps = 2, kpack = 2>}
      : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf32>
    return
  }
}

// -----

// gfx950 fp8 (OCP): the family's smallest K is the plan's instruction, the
// largest K that block_k divides (32) the one the tile is built from.
// CHECK-LABEL: func.func private @fp8_gemm
// CHECK: #moec.core<kind = "mfma", instr = "v_mfma_f32_16x16x32_fp8_fp8", instr_k = 32, nonkdim = 16, kpack = 1, num_warps = 4, lanes = 256, waves_per_eu = 0>
module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @fp8(%a: memref<?x?xf8E4M3FN>, %b: memref<?x?xf8E4M3FN>, %c: memref<?x?xbf16>) {
    moec.gemm %a, %b -> %c {transpose_b, config = #moec.config<block_k = 64>}
      : memref<?x?xf8E4M3FN>, memref<?x?xf8E4M3FN> -> memref<?x?xbf16>
    return
  }
}
