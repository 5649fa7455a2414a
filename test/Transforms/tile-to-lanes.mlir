// moec-tile-to-lanes: an annotated tile program -> a gpu.func over lanes and
// its launch. Every decision comes from the attributes the tile passes wrote,
// not from the config: the PLANTED runs change one attribute of the same
// program (the config still says num_stages = 2, epilogue = direct, kpack =
// 1) and the kernel follows the attribute. A program missing a decision is
// an error naming the pass that makes it.
//
// RUN: moec-opt %s --moec-lower-gemm-to-tiles --moec-tile-select-core --moec-tile-pipeline --moec-tile-epilogue --moec-tile-global-access -o %t.tiles.mlir
// RUN: moec-opt %t.tiles.mlir --moec-tile-to-lanes --canonicalize --cse | FileCheck %s
// RUN: sed -e 's/kind = direct, lds_bytes = 0/kind = lds, lds_bytes = 8192/' %t.tiles.mlir \
// RUN:   | moec-opt --moec-tile-to-lanes --canonicalize --cse | FileCheck %s --check-prefix=LDS
// RUN: sed -e 's/num_stages = 2, lds_buffers = 1/num_stages = 1, lds_buffers = 1/' %t.tiles.mlir \
// RUN:   | moec-opt --moec-tile-to-lanes --canonicalize --cse | FileCheck %s --check-prefix=STAGES1
// RUN: sed -e 's/kpack = 1/kpack = 2/' %t.tiles.mlir \
// RUN:   | moec-opt --moec-tile-to-lanes --canonicalize --cse | FileCheck %s --check-prefix=KPACK2
// RUN: sed -e 's/vec = 8, aligned = false/vec = 8, aligned = true/g' %t.tiles.mlir \
// RUN:   | moec-opt --moec-tile-to-lanes --canonicalize --cse | FileCheck %s --check-prefix=ALIGNED
// RUN: moec-opt %s --moec-lower-gemm-to-tiles --moec-tile-select-core --moec-tile-pipeline --moec-tile-global-access \
// RUN:   | not moec-opt --moec-tile-to-lanes 2>&1 | FileCheck %s --check-prefix=MISSING

// The decisions as the passes make them (gfx942, bf16, 64 x 64 x 32):
// CHECK-LABEL: func.func @g(
// CHECK:       gpu.launch_func @moec_kernels::@g_gemm blocks in (%{{.*}}, %c1, %c1) threads in (%c256, %c1, %c1)
// CHECK-NOT:   moec.tile
// CHECK-LABEL: gpu.func @g_gemm(
// CHECK-SAME:  workgroup(%{{.*}} : memref<8192xi8, #gpu.address_space<workgroup>>
// CHECK-SAME:  moec.lds_bytes = 8192
// #moec.access aligned = false: a uniform branch between 16-byte and
// element-wise loads of A and B.
// CHECK:       scf.if %{{.*}} -> (vector<8xbf16>)
// #moec.pipeline num_stages = 2: the loop carries the 4 accumulators and
// the prefetched vectors of A and B.
// CHECK:       scf.for {{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<8xbf16>, vector<8xbf16>) {
// #moec.core: 16x16x16 MFMAs reading 4 bf16 (kpack 1) from LDS.
// CHECK:       vector.load {{.*}}workgroup{{.*}}, vector<4xbf16>
// CHECK:       amdgpu.mfma 16x16x16
// The epilogue, element by element (direct: from the MFMA layout): the
// bias at the clamped column, the relu, bf16.
// CHECK:       arith.minsi
// CHECK-NEXT:  memref.load %arg3[
// CHECK-NEXT:  arith.extf {{.*}} : bf16 to f32
// CHECK-NEXT:  arith.addf
// CHECK-NEXT:  arith.maximumf
// CHECK-NEXT:  arith.truncf {{.*}} : f32 to bf16
// CHECK-NOT:   memref<64x64xbf16, #gpu.address_space<workgroup>>

// #moec.epilogue<kind = lds>: the finished tile goes through LDS, then
// 16-byte row vectors.
// LDS-LABEL:   gpu.func @g_gemm(
// LDS:         scf.for
// LDS:         gpu.barrier
// LDS:         arith.maximumf
// LDS:         memref.store {{.*}} : memref<64x64xbf16, #gpu.address_space<workgroup>>
// LDS:         gpu.barrier
// LDS:         vector.load {{.*}} : memref<64x64xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>

// #moec.pipeline num_stages = 1: no prefetch registers.
// STAGES1:     scf.for {{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>) {

// #moec.core kpack = 2: 8 bf16 per LDS read.
// KPACK2:      scf.for
// KPACK2-NOT:  vector<4xbf16>
// KPACK2:      vector.load {{.*}}workgroup{{.*}}, vector<8xbf16>
// KPACK2:      amdgpu.mfma 16x16x16

// #moec.access aligned = true: no element-wise path.
// ALIGNED-LABEL: gpu.func @g_gemm(
// ALIGNED-NOT:   scf.if

// MISSING: error: moec-tile-to-lanes: no 'moec.epilogue' decision here; run moec-tile-epilogue first

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @g(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>, %bias: memref<?xbf16>) {
    moec.gemm %a, %b -> %c bias(%bias : memref<?xbf16>) {transpose_b, activation = #moec.activation<relu>, config = #moec.config<block_k = 32, num_stages = 2, epilogue = direct, kpack = 1>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}
