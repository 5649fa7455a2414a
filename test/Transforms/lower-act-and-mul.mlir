// moec-lower-to-kernels on moec.act_and_mul (the unfused gated activation):
// a target-independent elementwise kernel, 8 outputs per lane on a GPU, the
// rank-3 [tokens, top_k, 2N] operands collapsed to rows inside the kernel,
// the activation from Activation.cpp, f32 arithmetic.
//
// RUN: moec-opt %s --moec-lower-to-kernels --canonicalize --cse | FileCheck %s
// RUN: sed -e 's/gfx942/host/' %s | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefix=HOST
// RUN: moec compile %s --arch gfx942 --emit asm -o - | FileCheck %s --check-prefix=ISA
// RUN: moec compile %s --arch sm_90 --emit ptx -o - | FileCheck %s --check-prefix=PTX

// 256 lanes x 8 = 2048 outputs a workgroup; outputs = tokens x 2 x 24.
// CHECK-LABEL: func.func @swiglu
// CHECK:         %[[T:.*]] = memref.dim %arg1, %c0 : memref<?x2x24xbf16>
// CHECK:         %[[E:.*]] = arith.muli %[[T]], %c48 : index
// CHECK:         %[[W:.*]] = arith.ceildivui %[[E]], %c2048 : index
// CHECK:         %[[G:.*]] = arith.maxui %[[W]], %c1 : index
// CHECK:         gpu.launch_func @moec_kernels::@swiglu_act_and_mul blocks in (%[[G]], %c1, %c1) threads in (%c256, %c1, %c1)
// CHECK:       gpu.func @swiglu_act_and_mul(%{{.*}}: memref<?x?x?xbf16, #gpu.address_space<global>>, %{{.*}}: memref<?x?x?xbf16, #gpu.address_space<global>>)
// CHECK-SAME:    known_block_size = array<i32: 256, 1, 1>
// CHECK:         memref.collapse_shape %arg0 {{\[\[}}0, 1], [2]]
// CHECK:         memref.collapse_shape %arg1 {{\[\[}}0, 1], [2]]
// CHECK:         scf.for
// CHECK:           %[[X:.*]] = arith.extf %{{.*}} : bf16 to f32
// CHECK:           %[[Y:.*]] = arith.extf %{{.*}} : bf16 to f32
// silu(x) = x / (1 + exp(-x)), then times the up half.
// CHECK:           math.exp
// CHECK:           arith.divf %[[X]]
// CHECK:           arith.mulf %{{.*}}, %[[Y]] : f32
// CHECK:           arith.truncf %{{.*}} : f32 to bf16
// CHECK-NOT:     gpu.barrier

// The host: the same lane program, 4 waves of 64 lanes (fibers), 256
// elements a lane.
// HOST: arith.ceildivui %{{.*}}, %c65536 : index
// HOST: threads in (%c256, %c1, %c1)

// ISA-LABEL: swiglu_act_and_mul:
// ISA: v_exp_f32
// ISA: global_store_short
// ISA-NOT: s_barrier
// ISA: .amdhsa_group_segment_fixed_size 0

// PTX: .entry swiglu_act_and_mul(
// PTX: ex2.approx
// PTX: st.global.b16

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @swiglu(%x: memref<?x2x48xbf16>, %y: memref<?x2x24xbf16>) {
    moec.act_and_mul %x -> %y {activation = #moec.activation<silu>, config = #moec.config<>} : memref<?x2x48xbf16> -> memref<?x2x24xbf16>
    return
  }
}
