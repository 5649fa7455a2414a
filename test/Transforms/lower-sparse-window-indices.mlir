// moec-lower-to-kernels on moec.sparse_window_indices (the short-window
// path of sparse MLA decode): a target-independent kernel, lanes strided
// over the tokens x topk index matrix; a row is written only when its
// window (seq_lens[t]) is not longer than topk: block_table[t, j / P] * P +
// j % P inside the window, -1 past it. Numerics: test/unit/SparseWindowTest.
//
// RUN: moec-opt %s --moec-lower-to-kernels --canonicalize --cse | FileCheck %s
// RUN: sed -e 's/gfx942/host/' %s | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefix=HOST
// RUN: moec compile %s --arch gfx942 --emit asm -o - | FileCheck %s --check-prefix=ISA
// RUN: moec compile %s --arch sm_90 --emit ptx -o - | FileCheck %s --check-prefix=PTX

// 256 lanes x 8 = 2048 elements a workgroup; elements = tokens x 2048.
// CHECK-LABEL: func.func @window
// CHECK:         %[[T:.*]] = memref.dim %arg2, %c0 : memref<?x2048xi32>
// CHECK:         %[[E:.*]] = arith.muli %[[T]], %c2048 : index
// CHECK:         %[[W:.*]] = arith.ceildivui %[[E]], %c2048 : index
// CHECK:         %[[G:.*]] = arith.maxui %[[W]], %c1 : index
// CHECK:         gpu.launch_func @moec_kernels::@window_sparse_window_indices blocks in (%[[G]], %c1, %c1) threads in (%c256, %c1, %c1) args(%{{.*}} : memref<?xi32, #gpu.address_space<global>>, %{{.*}} : memref<?x?xi32, #gpu.address_space<global>>, %{{.*}} : memref<?x?xi32, #gpu.address_space<global>>)
// CHECK:       gpu.func @window_sparse_window_indices(%{{.*}}: memref<?xi32, #gpu.address_space<global>>, %{{.*}}: memref<?x?xi32, #gpu.address_space<global>>, %{{.*}}: memref<?x?xi32, #gpu.address_space<global>>)
// CHECK-SAME:    known_block_size = array<i32: 256, 1, 1>
// CHECK-SAME:    moec.lds_bytes = 0 : i64
// CHECK:         %[[TOPK:.*]] = memref.dim %arg2, %c1
// CHECK:         %[[MAXB:.*]] = memref.dim %arg1, %c1
// CHECK:         scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %c256 {
// CHECK:           %[[TOK:.*]] = arith.divui %[[I]], %[[TOPK]] : index
// CHECK:           %[[J:.*]] = arith.remui %[[I]], %[[TOPK]] : index
// CHECK:           %[[LEN32:.*]] = memref.load %arg0[%[[TOK]]]
// CHECK:           %[[LEN:.*]] = arith.extsi %[[LEN32]] : i32 to i64
// CHECK:           %[[SHORT:.*]] = arith.cmpi sle, %[[LEN]], %{{.*}} : i64
// CHECK:           scf.if %[[SHORT]] {
// CHECK:             %[[B:.*]] = arith.divui %[[J]], %c64 : index
// CHECK:             arith.cmpi ult, %[[B]], %[[MAXB]] : index
// CHECK:             %[[V:.*]] = scf.if %{{.*}} -> (i32) {
// CHECK:               %[[PAGE:.*]] = memref.load %arg1[%[[TOK]], %[[B]]]
// CHECK:               %[[OFF:.*]] = arith.remui %[[J]], %c64 : index
// CHECK:               %[[BASE:.*]] = arith.muli %[[PAGE]], %c64_i32 : i32
// CHECK:               scf.yield
// CHECK:             } else {
// CHECK:               scf.yield %c-1_i32 : i32
// CHECK:             memref.store %[[V]], %arg2[%[[TOK]], %[[J]]]
// CHECK-NOT:     gpu.barrier

// The host: the same lane program, 4 waves of 64 lanes (fibers), 256
// elements a lane.
// HOST: arith.ceildivui %{{.*}}, %c65536 : index
// HOST: threads in (%c256, %c1, %c1)

// ISA-LABEL: window_sparse_window_indices:
// ISA: global_store_dword
// ISA-NOT: s_barrier
// ISA: .amdhsa_group_segment_fixed_size 0

// PTX: .entry window_sparse_window_indices(
// PTX: st.global.b32
// PTX-NOT: bar.sync

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @window(%lens: memref<?xi32>, %bt: memref<?x?xi32>, %idx: memref<?x2048xi32>) {
    moec.sparse_window_indices %lens, %bt -> %idx {page_size = 64 : i64, config = #moec.config<>} : memref<?xi32>, memref<?x?xi32> -> memref<?x2048xi32>
    return
  }
}
