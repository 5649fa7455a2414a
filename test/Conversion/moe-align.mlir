// moec.moe_align compiles to a gfx942 code object: LDS atomics for the
// per-expert counts (ds_add_u32), workgroup barriers between the phases, the
// plan's LDS (E = 256: 4 x 256 counters, a 39 x 256 run table and 39 runs of
// 32 staged ids = 12256 words) and a 256-lane workgroup. The sm_90 PTX of
// the same kernel: shared-memory atomics and bar.sync.
//
// RUN: moec compile %s --arch gfx942 --emit asm -o - | FileCheck %s
// RUN: moec compile %s --arch sm_90 --emit ptx -o - | FileCheck %s --check-prefix=PTX
// RUN: moec compile %s --arch gfx942 -o %t.hsaco && moec inspect %t.hsaco | FileCheck %s --check-prefix=INSPECT

// CHECK-LABEL: route_moe_align:
// CHECK-DAG:   ds_add_u32
// CHECK-DAG:   s_barrier
// CHECK-DAG:   global_load_dword
// CHECK-DAG:   global_store_dword
// CHECK:       .amdhsa_group_segment_fixed_size 49024
// CHECK:       .max_flat_workgroup_size: 256

// PTX:         .entry route_moe_align(
// PTX:         .maxntid 128, 1, 1
// PTX:         .shared .align 4 .b8 __wg_route_moe_align_0[49024];
// PTX-DAG:     atom.shared.add.u32
// PTX-DAG:     bar.sync
// PTX-DAG:     st.global.b32

// INSPECT: route_moe_align 256x1x1 {{[0-9]+}} 0 {{[0-9]+}} 49024 0 0/0 64

module {
  func.func @route(%ids: memref<?x8xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>, %map: memref<256xi32>) {
    moec.moe_align %ids -> %sorted, %experts, %npad expert_map(%map : memref<256xi32>) {num_experts = 256 : i64, config = #moec.config<block_m = 64>} : memref<?x8xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    return
  }
}
