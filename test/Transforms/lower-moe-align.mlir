// moec-lower-to-kernels on moec.moe_align: one target-independent kernel
// (gpu/scf/arith/memref only) and one launch whose grid grows with the
// routed copies (lib/Transforms/MoeAlignKernel.cpp, MoeAlignPlan in
// OpPlans.h).
//
// RUN: moec-opt %s --moec-lower-to-kernels --canonicalize --cse | FileCheck %s
// RUN: sed -e 's/gfx942/sm_90/' %s | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefix=NV
// RUN: sed -e 's/gfx942/host/' %s | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefix=HOST

// E = 8, 4 waves of 64 lanes: all 256 lanes scatter a run of 32 copies each,
// so a workgroup takes 8192 copies. LDS words: 4 x 8 counters, a 256 x 8
// table, 8192 staged ids = 10272 words.
//
// CHECK-LABEL: func.func @route
// CHECK:         %[[T:.*]] = memref.dim %arg0, %c0 : memref<?x2xi32>
// CHECK:         %[[N:.*]] = arith.muli %[[T]], %c2 : index
// CHECK:         %[[C:.*]] = arith.ceildivui %[[N]], %c8192 : index
// CHECK:         %[[G:.*]] = arith.maxui %[[C]], %c1 : index
// CHECK:         gpu.launch_func @moec_kernels::@route_moe_align blocks in (%[[G]], %c1, %c1) threads in (%c256, %c1, %c1)
// CHECK-SAME:      args(%{{.*}} : memref<?x?xi32, #gpu.address_space<global>>, %{{.*}} : memref<?xi32, #gpu.address_space<global>>, %{{.*}} : memref<?xi32, #gpu.address_space<global>>, %{{.*}} : memref<?xi32, #gpu.address_space<global>>, %{{.*}} : memref<?xi32, #gpu.address_space<global>>)
// CHECK:       gpu.func @route_moe_align(
// CHECK-SAME:    workgroup(%[[LDS:.*]] : memref<10272xi32, #gpu.address_space<workgroup>>)
// CHECK-SAME:    known_block_size = array<i32: 256, 1, 1>
// CHECK-SAME:    moec.lds_bytes = 41088
// CHECK:         gpu.barrier
// Counting: LDS atomics for all copies and for those before the chunk.
// CHECK:         memref.atomic_rmw addi %c1_i32, %[[LDS]]
// CHECK:         memref.atomic_rmw addi %c1_i32, %[[LDS]]
// CHECK-NOT:     memref.atomic_rmw
// Barriers after counting, padding and the three scan steps (1, 2, 4);
// then workgroup 0 maps each expert's blocks through expert_map; then
// barriers after the per-run counts and the scan down each expert's column.
// CHECK-COUNT-5: gpu.barrier
// CHECK-NOT:     gpu.barrier
// CHECK:         memref.load %arg4[
// CHECK-COUNT-2: gpu.barrier
// CHECK-NOT:     gpu.barrier
// CHECK:         gpu.return

// NVIDIA: 4 warps of 32 lanes, so 128 runs of 32 (4096 copies a workgroup).
// NV: arith.ceildivui %{{.*}}, %c4096 : index
// NV: gpu.launch_func @moec_kernels::@route_moe_align blocks in (%{{.*}}, %c1, %c1) threads in (%c128, %c1, %c1)
// NV: workgroup(%{{.*}} : memref<5152xi32, #gpu.address_space<workgroup>>)

// The host runs the same lane program (4 waves of 64 lanes, each a fiber),
// 256 runs of 32: gfx942's kernel.
// HOST: arith.ceildivui %{{.*}}, %c8192 : index
// HOST: threads in (%c256, %c1, %c1)
// HOST: workgroup(%{{.*}} : memref<10272xi32, #gpu.address_space<workgroup>>)

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @route(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>, %map: memref<8xi32>) {
    moec.moe_align %ids -> %sorted, %experts, %npad expert_map(%map : memref<8xi32>) {num_experts = 8 : i64, config = #moec.config<block_m = 16>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    return
  }
}
