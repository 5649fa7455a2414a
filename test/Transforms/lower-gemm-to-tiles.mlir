// RUN: moec-opt %s -split-input-file --moec-lower-gemm-to-tiles | FileCheck %s
// RUN: moec-opt %s -split-input-file --moec-lower-gemm-to-tiles | moec-opt -split-input-file | FileCheck %s
// RUN: moec-opt %s -split-input-file --moec-lower-gemm-to-tiles --canonicalize | FileCheck %s --check-prefix=CANON
// RUN: sed -e 's/attributes {moec.target = #moec.target<"gfx942">}//' %s \
// RUN:   | not moec-opt -split-input-file --moec-lower-gemm-to-tiles 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOTARGET

// moec-lower-gemm-to-tiles: each moec.gemm becomes a tile program (a
// func.func marked moec.tile_program) and a moec.tile.launch of it. The
// second RUN line parses the output back (it verifies). The tile sizes are
// the op's config (through its KernelPlan); nothing depends on the target.

// NOTARGET: error: moec-lower-gemm-to-tiles needs a `moec.target` on the module

// The layout of examples/gemm.mlir: bf16, B transposed (a linear layer's
// weight), M dynamic: the grid is computed at run time.

// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[A:.*]]: memref<?x256xbf16>, %[[B:.*]]: memref<512x256xbf16>, %[[C:.*]]: memref<?x512xbf16>)
// CHECK: %[[M:.*]] = memref.dim %[[A]], %{{.*}} : memref<?x256xbf16>
// CHECK: %[[N:.*]] = memref.dim %[[B]], %{{.*}} : memref<512x256xbf16>
// CHECK: %[[NPM:.*]] = arith.ceildivui %[[M]], %{{.*}} : index
// CHECK: %[[NPN:.*]] = arith.ceildivui %[[N]], %{{.*}} : index
// CHECK: %[[GRID:.*]] = arith.muli %[[NPM]], %[[NPN]] : index
// CHECK: moec.tile.launch @linear_gemm grid(%[[GRID]]) (%[[A]], %[[B]], %[[C]]) : (memref<?x256xbf16>, memref<512x256xbf16>, memref<?x512xbf16>) -> ()
// CHECK-NOT: moec.gemm
// CHECK: func.func private @linear_gemm(%[[A:.*]]: memref<?x256xbf16>, %[[B:.*]]: memref<512x256xbf16>, %[[C:.*]]: memref<?x512xbf16>)
// CHECK-SAME: attributes {moec.config = #moec.config<block_m = 128, group_m = 4>, moec.tile_program}
// CHECK: %[[M:.*]] = memref.dim %[[A]], %{{.*}} : memref<?x256xbf16>
// CHECK: %[[K:.*]] = memref.dim %[[A]], %{{.*}} : memref<?x256xbf16>
// CHECK: %[[N:.*]] = memref.dim %[[B]], %{{.*}} : memref<512x256xbf16>
// The group_m swizzle, as index arithmetic on the program id.
// CHECK: %[[PID:.*]] = moec.tile.program_id 0 : index
// CHECK: %[[NPM:.*]] = arith.ceildivui %[[M]], %c128
// CHECK: %[[NPN:.*]] = arith.ceildivui %[[N]], %c64
// CHECK: %[[INGROUP:.*]] = arith.muli %c4{{.*}}, %[[NPN]]
// CHECK: %[[GID:.*]] = arith.divui %[[PID]], %[[INGROUP]]
// CHECK: %[[FIRST:.*]] = arith.muli %[[GID]], %{{.*}}
// CHECK: %[[LEFT:.*]] = arith.subi %[[NPM]], %[[FIRST]]
// CHECK: %[[GSIZE:.*]] = arith.minsi %[[LEFT]], %{{.*}}
// CHECK: %[[LOCAL:.*]] = arith.remui %[[PID]], %[[INGROUP]]
// CHECK: %[[R:.*]] = arith.remui %[[LOCAL]], %[[GSIZE]]
// CHECK: %[[PM:.*]] = arith.addi %[[FIRST]], %[[R]]
// CHECK: %[[PN:.*]] = arith.divui %[[LOCAL]], %[[GSIZE]]
// CHECK: %[[M0:[0-9a-z_]+]] = arith.muli %[[PM]], %{{.*}}
// CHECK: %[[N0:[0-9a-z_]+]] = arith.muli %[[PN]], %{{.*}}
// The K loop carries the f32 accumulator tile.
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<128x64xf32>
// CHECK: %[[NK:.*]] = arith.ceildivui %[[K]], %{{.*}}
// CHECK: %[[ACC:.*]] = scf.for %[[KT:.*]] = %{{.*}} to %[[NK]] step %{{.*}} iter_args(%[[IT:.*]] = %[[ZERO]]) -> (tensor<128x64xf32>) {
// CHECK:   %[[K0:[0-9a-z_]+]] = arith.muli %[[KT]], %{{.*}}
// CHECK:   %[[TA:.*]] = moec.tile.load %[[A]][%[[M0]], %[[K0]]] bounds[%[[M]], %[[K]]] : memref<?x256xbf16> -> tensor<128x32xbf16>
// B is N x K: its tile is read at (n0, k0) and transposed.
// CHECK:   %[[TBT:.*]] = moec.tile.load %[[B]][%[[N0]], %[[K0]]] bounds[%[[N]], %[[K]]] : memref<512x256xbf16> -> tensor<64x32xbf16>
// CHECK:   %[[TB:.*]] = moec.tile.trans %[[TBT]] : tensor<64x32xbf16> -> tensor<32x64xbf16>
// CHECK:   %[[NEXT:.*]] = moec.tile.dot %[[TA]], %[[TB]], %[[IT]] : tensor<128x32xbf16>, tensor<32x64xbf16> -> tensor<128x64xf32>
// CHECK:   scf.yield %[[NEXT]] : tensor<128x64xf32>
// CHECK: }
// CHECK: %[[OUT:.*]] = arith.truncf %[[ACC]] : tensor<128x64xf32> to tensor<128x64xbf16>
// CHECK: moec.tile.store %[[OUT]], %[[C]][%[[M0]], %[[N0]]] bounds[%[[M]], %[[N]]] : tensor<128x64xbf16>, memref<?x512xbf16>
// CHECK-NEXT: return
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @linear(%a: memref<?x256xbf16>, %b: memref<512x256xbf16>, %c: memref<?x512xbf16>) {
    moec.gemm %a, %b -> %c {transpose_b, config = #moec.config<block_m = 128, group_m = 4>}
      : memref<?x256xbf16>, memref<512x256xbf16> -> memref<?x512xbf16>
    return
  }
}

// -----

// Static sizes: the grid is computed from the sizes all the same (M is A's
// dimension 1 with transpose_a); canonicalize folds it to the plan's
// constant, ceil(300/64) * ceil(200/64) = 5 * 4 (CANON). A transposed
// (K x M): its tile is read at (k0, m0) and transposed. f32 output: no
// conversion. Two gemms in a function get two programs.

// CANON-LABEL: func.func @static_ta
// CANON: %[[G:.*]] = arith.constant 20 : index
// CANON: moec.tile.launch @static_ta_gemm grid(%[[G]])

// CHECK-LABEL: func.func @static_ta
// CHECK: %[[SM:.*]] = memref.dim %arg0, %c1{{.*}} : memref<96x300xf16>
// CHECK: %[[SN:.*]] = memref.dim %arg1, %c1{{.*}} : memref<96x200xf16>
// CHECK: %[[TM:.*]] = arith.ceildivui %[[SM]]
// CHECK: %[[TN:.*]] = arith.ceildivui %[[SN]]
// CHECK: %[[G:.*]] = arith.muli %[[TM]], %[[TN]] : index
// CHECK: moec.tile.launch @static_ta_gemm grid(%[[G]])
// CHECK: moec.tile.launch @static_ta_gemm_1 grid(%{{.*}})
// CHECK: func.func private @static_ta_gemm(%[[A:.*]]: memref<96x300xf16>, %[[B:.*]]: memref<96x200xf16>, %[[C:.*]]: memref<300x200xf32>)
// CHECK: %[[M:.*]] = memref.dim %[[A]], %c1
// CHECK: %[[K:.*]] = memref.dim %[[A]], %c0
// CHECK: %[[N:.*]] = memref.dim %[[B]], %c1
// CHECK: scf.for
// CHECK:   %[[TAT:.*]] = moec.tile.load %[[A]][%[[K0:[0-9a-z_]+]], %[[M0:[0-9a-z_]+]]] bounds[%[[K]], %[[M]]] : memref<96x300xf16> -> tensor<32x64xf16>
// CHECK:   %[[TA:.*]] = moec.tile.trans %[[TAT]] : tensor<32x64xf16> -> tensor<64x32xf16>
// CHECK:   %[[TB:.*]] = moec.tile.load %[[B]][%[[K0]], %[[N0:[0-9a-z_]+]]] bounds[%[[K]], %[[N]]] : memref<96x200xf16> -> tensor<32x64xf16>
// CHECK:   moec.tile.dot %[[TA]], %[[TB]], %{{.*}} : tensor<64x32xf16>, tensor<32x64xf16> -> tensor<64x64xf32>
// CHECK: }
// CHECK-NOT: arith.truncf
// CHECK: moec.tile.store %{{.*}}, %[[C]][%[[M0]], %[[N0]]] bounds[%[[M]], %[[N]]] : tensor<64x64xf32>, memref<300x200xf32>
// CHECK: func.func private @static_ta_gemm_1(
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @static_ta(%a: memref<96x300xf16>, %b: memref<96x200xf16>, %c: memref<300x200xf32>) {
    moec.gemm %a, %b -> %c {transpose_a, config = #moec.config<>}
      : memref<96x300xf16>, memref<96x200xf16> -> memref<300x200xf32>
    moec.gemm %a, %b -> %c {transpose_a, config = #moec.config<>}
      : memref<96x300xf16>, memref<96x200xf16> -> memref<300x200xf32>
    return
  }
}

// -----

// fp8 with a per-row scale_a, a per-tensor scale_b, a bf16 bias and relu:
// C = relu(acc * scale_a[m] * scale_b + bias[n]), in f32, then bf16.

// CHECK-LABEL: func.func private @fp8_gemm
// CHECK-SAME: (%[[A:.*]]: memref<?x4096xf8E4M3FNUZ>, %[[B:.*]]: memref<4096x1024xf8E4M3FNUZ>, %[[C:.*]]: memref<?x1024xbf16>, %[[BIAS:.*]]: memref<1024xbf16>, %[[SA:.*]]: memref<?xf32>, %[[SB:.*]]: memref<f32>)
// CHECK: %[[M:.*]] = memref.dim %[[A]]
// CHECK: %[[N:.*]] = memref.dim %[[B]]
// A per-tensor scale is read once, before the K loop.
// CHECK: %[[SBS:.*]] = memref.load %[[SB]][] : memref<f32>
// CHECK: %[[ACC:.*]] = scf.for
// CHECK:   moec.tile.load %[[A]][%[[M0:[0-9a-z_]+]], %{{.*}}]
// CHECK:   moec.tile.load %[[B]][%{{.*}}, %[[N0:[0-9a-z_]+]]] bounds
// CHECK:   moec.tile.dot %{{.*}}, %{{.*}}, %{{.*}} : tensor<64x64xf8E4M3FNUZ>, tensor<64x64xf8E4M3FNUZ> -> tensor<64x64xf32>
// CHECK: %[[SAV:.*]] = moec.tile.load %[[SA]][%[[M0]]] bounds[%[[M]]] : memref<?xf32> -> tensor<64xf32>
// CHECK: %[[SAT:.*]] = moec.tile.broadcast %[[SAV]] along 0 : tensor<64xf32> -> tensor<64x64xf32>
// CHECK: %[[V1:.*]] = arith.mulf %[[ACC]], %[[SAT]] : tensor<64x64xf32>
// CHECK: %[[SBT:.*]] = moec.tile.splat %[[SBS]] : f32 -> tensor<64x64xf32>
// CHECK: %[[V2:.*]] = arith.mulf %[[V1]], %[[SBT]] : tensor<64x64xf32>
// CHECK: %[[BV:.*]] = moec.tile.load %[[BIAS]][%[[N0]]] bounds[%[[N]]] : memref<1024xbf16> -> tensor<64xbf16>
// CHECK: %[[BF:.*]] = arith.extf %[[BV]] : tensor<64xbf16> to tensor<64xf32>
// CHECK: %[[BT:.*]] = moec.tile.broadcast %[[BF]] along 1 : tensor<64xf32> -> tensor<64x64xf32>
// CHECK: %[[V3:.*]] = arith.addf %[[V2]], %[[BT]] : tensor<64x64xf32>
// CHECK: %[[Z:.*]] = arith.constant dense<0.000000e+00> : tensor<64x64xf32>
// CHECK: %[[V4:.*]] = arith.maximumf %[[V3]], %[[Z]] : tensor<64x64xf32>
// CHECK: %[[V5:.*]] = arith.truncf %[[V4]] : tensor<64x64xf32> to tensor<64x64xbf16>
// CHECK: moec.tile.store %[[V5]], %[[C]]
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @fp8(%a: memref<?x4096xf8E4M3FNUZ>, %b: memref<4096x1024xf8E4M3FNUZ>, %c: memref<?x1024xbf16>,
                 %bias: memref<1024xbf16>, %sa: memref<?xf32>, %sb: memref<f32>) {
    moec.gemm %a, %b -> %c bias(%bias : memref<1024xbf16>) scale_a(%sa : memref<?xf32>) scale_b(%sb : memref<f32>)
      {activation = #moec.activation<relu>, config = #moec.config<block_k = 64>}
      : memref<?x4096xf8E4M3FNUZ>, memref<4096x1024xf8E4M3FNUZ> -> memref<?x1024xbf16>
    return
  }
}

// -----

// OCP fp8 (gfx950), a per-tensor scale_a of shape [1], a per-column scale_b,
// B transposed, silu (x / (1 + 2^(-x log2 e)), the lane level's formula).

// CHECK-LABEL: func.func private @ocp_gemm
// CHECK-SAME: %[[SA:[^:]*]]: memref<1xf32>, %[[SB:[^:]*]]: memref<1024xf32>)
// CHECK: %[[SAS:.*]] = memref.load %[[SA]][%{{.*}}] : memref<1xf32>
// CHECK: moec.tile.dot %{{.*}}, %{{.*}}, %{{.*}} : tensor<64x64xf8E4M3FN>, tensor<64x64xf8E4M3FN> -> tensor<64x64xf32>
// CHECK: moec.tile.splat %[[SAS]] : f32 -> tensor<64x64xf32>
// CHECK: %[[SBV:.*]] = moec.tile.load %[[SB]][%{{.*}}] bounds[%{{.*}}] : memref<1024xf32> -> tensor<64xf32>
// CHECK: moec.tile.broadcast %[[SBV]] along 1 : tensor<64xf32> -> tensor<64x64xf32>
// CHECK: %[[X:.*]] = arith.mulf
// CHECK: %[[NEG:.*]] = arith.negf %[[X]] : tensor<64x64xf32>
// CHECK: math.exp2 %{{.*}} : tensor<64x64xf32>
// CHECK: arith.divf %[[X]], %{{.*}} : tensor<64x64xf32>
module attributes {moec.target = #moec.target<"gfx950">} {
  func.func @ocp(%a: memref<?x4096xf8E4M3FN>, %b: memref<1024x4096xf8E4M3FN>, %c: memref<?x1024xf16>,
                 %sa: memref<1xf32>, %sb: memref<1024xf32>) {
    moec.gemm %a, %b -> %c scale_a(%sa : memref<1xf32>) scale_b(%sb : memref<1024xf32>)
      {transpose_b, activation = #moec.activation<silu>, config = #moec.config<block_k = 64>}
      : memref<?x4096xf8E4M3FN>, memref<1024x4096xf8E4M3FN> -> memref<?x1024xf16>
    return
  }
}
