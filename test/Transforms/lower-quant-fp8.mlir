// moec-lower-to-kernels on moec.quant_fp8 (fp8_w8a8 activations for
// fused_moe): a target-independent kernel, one workgroup per scale group
// (a row per token; a row's group_k columns; one for a computed per-tensor
// scale), the lanes' amax folded through LDS by lane 0 between two
// barriers, then x / scale encoded to fp8 with integer ops (no fp8 type
// reaches LLVM); a static scale is read, without LDS or barriers.
//
// RUN: moec-opt %s --moec-lower-to-kernels --canonicalize --cse | FileCheck %s
// RUN: sed -e 's/sm_90/host/' %s | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefix=HOST
// RUN: moec compile %s --arch sm_90 --emit ptx -o - | FileCheck %s --check-prefix=PTX
// RUN: sed -e 's/sm_90/gfx942/' -e 's/E4M3FN>/E4M3FNUZ>/g' %s | moec compile - --arch gfx942 --emit asm -o - | FileCheck %s --check-prefix=ISA

// Per token: as many workgroups as rows, 4 warps of 32 lanes, 512 bytes of
// LDS (one f32 a lane).
// CHECK-LABEL: func.func @per_token
// CHECK:         %[[M:.*]] = memref.dim %arg0, %c0 : memref<?x96xbf16>
// CHECK:         %[[G:.*]] = arith.maxui %[[M]], %c1 : index
// CHECK:         gpu.launch_func @moec_kernels::@per_token_quant_fp8 blocks in (%[[G]], %c1, %c1) threads in (%c128, %c1, %c1)

// Block-wise: rows x ceil(K / group_k) groups, teams of 32 lanes, 4 groups
// a workgroup.
// CHECK-LABEL: func.func @per_group
// CHECK:         %[[M:.*]] = memref.dim %arg0, %c0 : memref<?x200xf16>
// CHECK:         %[[W:.*]] = arith.muli %[[M]], %c2 : index
// CHECK:         %[[Q:.*]] = arith.ceildivui %[[W]], %c4 : index
// CHECK:         %[[G:.*]] = arith.maxui %[[Q]], %c1 : index
// CHECK:         gpu.launch_func @moec_kernels::@per_group_quant_fp8 blocks in (%[[G]], %c1, %c1)

// Computed per tensor: one workgroup.
// CHECK-LABEL: func.func @per_tensor
// CHECK:         gpu.launch_func @moec_kernels::@per_tensor_quant_fp8 blocks in (%c1, %c1, %c1)

// CHECK-LABEL: gpu.func @per_token_quant_fp8
// CHECK-SAME:    workgroup(%[[LDS:.*]] : memref<128xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME:    moec.lds_bytes = 512
// CHECK:         scf.for {{.*}} iter_args
// CHECK:           arith.cmpf ogt
// CHECK:         memref.store %{{.*}}, %[[LDS]][%{{.*}}]
// CHECK:         gpu.barrier
// CHECK:         scf.if
// scale = max(amax, 1e-10) / 448 (e4m3fn), into the per-row scale.
// CHECK:           arith.divf %{{.*}}, %cst{{.*}} : f32
// CHECK:           memref.store %{{.*}}, %arg2[%{{.*}}] : memref<?xf32, #gpu.address_space<global>>
// CHECK:         gpu.barrier
// CHECK:         arith.divf
// CHECK:         arith.trunci %{{.*}} : i32 to i8
// CHECK:         arith.bitcast %{{.*}} : i8 to f8E4M3FN
// CHECK:         memref.store %{{.*}}, %arg1[%{{.*}}, %{{.*}}] : memref<?x?xf8E4M3FN, #gpu.address_space<global>>
// The team's first lane folds the team's 32 partials into its first slot.
// CHECK-LABEL: gpu.func @per_group_quant_fp8
// CHECK:         %[[TEAM:.*]] = arith.divui %thread_id_x, %c32 : index
// CHECK:         %[[LANE:.*]] = arith.remui %thread_id_x, %c32 : index
// CHECK:         %[[BASE:.*]] = arith.muli %[[TEAM]], %c32 : index
// CHECK:         gpu.barrier
// CHECK:         arith.cmpi eq, %[[LANE]], %c0 : index
// CHECK:         memref.store %{{.*}}, %arg3[%[[BASE]]] : memref<128xf32, #gpu.address_space<workgroup>>
// CHECK:         memref.store %{{.*}}, %arg2[%{{.*}}, %{{.*}}] : memref<?x?xf32, #gpu.address_space<global>>
// CHECK:         gpu.barrier
// CHECK:         memref.load %arg3[%[[BASE]]]
// No workgroup attribution: the kernel attributes follow the arguments.
// CHECK-LABEL: gpu.func @static_quant_fp8(%arg0: memref<?x?xbf16, #gpu.address_space<global>>, %arg1: memref<?x?xf8E4M3FN, #gpu.address_space<global>>, %arg2: memref<f32, #gpu.address_space<global>>) kernel attributes
// CHECK-SAME:    moec.lds_bytes = 0
// CHECK:         memref.load %arg2[] : memref<f32, #gpu.address_space<global>>
// CHECK-NOT:     gpu.barrier
// CHECK:         gpu.return

// The host: the same lane program, 4 waves of 64 lanes (fibers).
// HOST: gpu.launch_func @moec_kernels::@per_token_quant_fp8 blocks in (%{{.*}}, %c1, %c1) threads in (%c256, %c1, %c1)
// HOST: workgroup(%{{.*}} : memref<256xf32, #gpu.address_space<workgroup>>)

// PTX: .entry per_token_quant_fp8(
// PTX: .shared .align {{[0-9]+}} .b8
// PTX: bar.sync 0
// PTX: div.rn.f32
// PTX: st.global.b8

// ISA-LABEL: per_token_quant_fp8:
// ISA: s_barrier
// ISA: global_store_byte
// ISA: .amdhsa_group_segment_fixed_size 1024

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @per_token(%x: memref<?x96xbf16>, %y: memref<?x96xf8E4M3FN>, %s: memref<?xf32>) {
    moec.quant_fp8 %x -> %y, %s {config = #moec.config<>} : memref<?x96xbf16> -> memref<?x96xf8E4M3FN>, memref<?xf32>
    return
  }
  func.func @per_group(%x: memref<?x200xf16>, %y: memref<?x200xf8E4M3FN>, %s: memref<?x2xf32>) {
    moec.quant_fp8 %x -> %y, %s {group_k = 128 : i64, config = #moec.config<>} : memref<?x200xf16> -> memref<?x200xf8E4M3FN>, memref<?x2xf32>
    return
  }
  func.func @per_tensor(%x: memref<?x64xbf16>, %y: memref<?x64xf8E4M3FN>, %s: memref<1xf32>) {
    moec.quant_fp8 %x -> %y, %s {config = #moec.config<>} : memref<?x64xbf16> -> memref<?x64xf8E4M3FN>, memref<1xf32>
    return
  }
  func.func @static(%x: memref<?x64xbf16>, %y: memref<?x64xf8E4M3FN>, %s: memref<f32>) {
    moec.quant_fp8 %x -> %y, %s {static_scale, config = #moec.config<>} : memref<?x64xbf16> -> memref<?x64xf8E4M3FN>, memref<f32>
    return
  }
}
