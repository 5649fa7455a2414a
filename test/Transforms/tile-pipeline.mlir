// moec-tile-pipeline: the software pipeline of each K loop, written on the
// scf.for that carries the accumulator. AMD, NVIDIA without async copies and
// the host: one LDS buffer up to two stages (the prefetch waits in
// registers), num_stages - 1 beyond. NVIDIA with async_copy: a ring of
// num_stages buffers filled by cp.async. The rings are block x block_k
// elements per buffer (64 x 32 x 2 bytes = 4096 here).
// RUN: moec-opt %s -split-input-file --moec-lower-gemm-to-tiles --moec-tile-pipeline | FileCheck %s
// A tile program without a target has no plan:
// RUN: moec-opt %s -split-input-file --moec-lower-gemm-to-tiles \
// RUN:   | sed -e 's/moec.target = #moec.target<"[a-z0-9_]*">//' \
// RUN:   | not moec-opt -split-input-file --moec-tile-pipeline 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOTARGET

// NOTARGET: error: moec-tile-pipeline needs a `moec.target` on the module: its decisions come from the program's KernelPlan on that target

// CHECK-LABEL: func.func private @stages_gemm(
// CHECK: scf.for
// CHECK: moec.tile.dot
// CHECK: } {moec.pipeline = #moec.pipeline<num_stages = 1, lds_buffers = 1, async_copy = false, lds_a_bytes = 4096, lds_b_bytes = 4096>}
// CHECK-LABEL: func.func private @stages_gemm_1(
// CHECK: } {moec.pipeline = #moec.pipeline<num_stages = 2, lds_buffers = 1, async_copy = false, lds_a_bytes = 4096, lds_b_bytes = 4096>}
// The legacy num_stages = 0 is 2.
// CHECK-LABEL: func.func private @stages_gemm_2(
// CHECK: } {moec.pipeline = #moec.pipeline<num_stages = 2, lds_buffers = 1, async_copy = false, lds_a_bytes = 4096, lds_b_bytes = 4096>}
// CHECK-LABEL: func.func private @stages_gemm_3(
// CHECK: } {moec.pipeline = #moec.pipeline<num_stages = 4, lds_buffers = 3, async_copy = false, lds_a_bytes = 12288, lds_b_bytes = 12288>}
// async_copy is an NVIDIA switch: ignored on gfx942.
// CHECK-LABEL: func.func private @stages_gemm_4(
// CHECK: } {moec.pipeline = #moec.pipeline<num_stages = 3, lds_buffers = 2, async_copy = false, lds_a_bytes = 8192, lds_b_bytes = 8192>}
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @stages(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<num_stages = 1>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    moec.gemm %a, %b -> %c {config = #moec.config<num_stages = 2>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    moec.gemm %a, %b -> %c {config = #moec.config<num_stages = 0>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    moec.gemm %a, %b -> %c {config = #moec.config<num_stages = 4>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    moec.gemm %a, %b -> %c {config = #moec.config<num_stages = 3, async_copy = true>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}

// -----

// sm_90: async copies fill num_stages buffers; one stage has nothing to
// overlap, so no async copies; without async_copy, AMD's rule.
// CHECK-LABEL: func.func private @nvidia_gemm(
// CHECK: } {moec.pipeline = #moec.pipeline<num_stages = 3, lds_buffers = 3, async_copy = true, lds_a_bytes = 12288, lds_b_bytes = 12288>}
// CHECK-LABEL: func.func private @nvidia_gemm_1(
// CHECK: } {moec.pipeline = #moec.pipeline<num_stages = 1, lds_buffers = 1, async_copy = false, lds_a_bytes = 4096, lds_b_bytes = 4096>}
// CHECK-LABEL: func.func private @nvidia_gemm_2(
// CHECK: } {moec.pipeline = #moec.pipeline<num_stages = 4, lds_buffers = 3, async_copy = false, lds_a_bytes = 12288, lds_b_bytes = 12288>}
module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @nvidia(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<num_stages = 3, async_copy = true>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    moec.gemm %a, %b -> %c {config = #moec.config<num_stages = 1, async_copy = true>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    moec.gemm %a, %b -> %c {config = #moec.config<num_stages = 4>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}

// -----

// The host pipelines as AMD does; fp8 B (one byte) halves B's ring.
// CHECK-LABEL: func.func private @host_gemm(
// CHECK: } {moec.pipeline = #moec.pipeline<num_stages = 3, lds_buffers = 2, async_copy = false, lds_a_bytes = 4096, lds_b_bytes = 4096>}
module attributes {moec.target = #moec.target<"host">} {
  func.func @host(%a: memref<?x?xf8E4M3FN>, %b: memref<?x?xf8E4M3FN>, %c: memref<?x?xbf16>) {
    moec.gemm %a, %b -> %c {transpose_b, config = #moec.config<num_stages = 3>}
      : memref<?x?xf8E4M3FN>, memref<?x?xf8E4M3FN> -> memref<?x?xbf16>
    return
  }
}
