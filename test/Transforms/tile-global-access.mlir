// moec-tile-global-access: the vector width of each global tile access
// (16 bytes along the memref's contiguous dimension: 8 bf16, 16 fp8, 4 f32;
// at most the tile's extent there) and whether the leading dimension is
// known to be a multiple of it (static, or assume_aligned): then no
// element-by-element edge path. The epilogue's vectors (bias, scales) are
// read an element at a time.
// RUN: moec-opt %s -split-input-file --moec-lower-gemm-to-tiles --moec-tile-global-access | FileCheck %s

// Dynamic leading dimensions: not known aligned. A is M x K (K contiguous:
// 8 of block_k), B^T is N x K, C rows of 8 bf16; the bias one element.
// CHECK-LABEL: func.func private @dynamic_gemm(
// CHECK: moec.tile.load %arg0{{.*}} {moec.access = #moec.access<vec = 8, aligned = false>} {{.*}} -> tensor<64x32xbf16>
// CHECK: moec.tile.load %arg1{{.*}} {moec.access = #moec.access<vec = 8, aligned = false>} {{.*}} -> tensor<64x32xbf16>
// CHECK: moec.tile.load %arg3{{.*}} {moec.access = #moec.access<vec = 1, aligned = false>} {{.*}} -> tensor<64xbf16>
// CHECK: moec.tile.store {{.*}} {moec.access = #moec.access<vec = 8, aligned = false>}
// assume_aligned: every leading dimension aligned.
// CHECK-LABEL: func.func private @dynamic_gemm_1(
// CHECK: moec.tile.load %arg0{{.*}} {moec.access = #moec.access<vec = 8, aligned = true>}
// CHECK: moec.tile.load %arg1{{.*}} {moec.access = #moec.access<vec = 8, aligned = true>}
// CHECK: moec.tile.store {{.*}} {moec.access = #moec.access<vec = 8, aligned = true>}
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @dynamic(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>, %bias: memref<?xbf16>) {
    moec.gemm %a, %b -> %c bias(%bias : memref<?xbf16>) {transpose_b, config = #moec.config<block_k = 32>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    moec.gemm %a, %b -> %c {transpose_b, config = #moec.config<block_k = 32, assume_aligned = true>}
      : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}

// -----

// Static leading dimensions decide per operand: A (K x M, transpose_a)
// has rows of M = 304 f16 (608 bytes: a multiple of 16), B (K x N) rows of
// N = 100 f16 (200 bytes: not), C rows of 100 f32 (400 bytes: a multiple).
// A reads 8 along M, B 8 along N; f32 C 4.
// CHECK-LABEL: func.func private @static_gemm(
// CHECK: moec.tile.load %arg0{{.*}} {moec.access = #moec.access<vec = 8, aligned = true>} {{.*}} -> tensor<32x64xf16>
// CHECK: moec.tile.load %arg1{{.*}} {moec.access = #moec.access<vec = 8, aligned = false>} {{.*}} -> tensor<32x64xf16>
// CHECK: moec.tile.store {{.*}} {moec.access = #moec.access<vec = 4, aligned = true>}
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @static(%a: memref<4096x304xf16>, %b: memref<4096x100xf16>, %c: memref<304x100xf32>) {
    moec.gemm %a, %b -> %c {transpose_a, config = #moec.config<>}
      : memref<4096x304xf16>, memref<4096x100xf16> -> memref<304x100xf32>
    return
  }
}

// -----

// fp8: 16 elements per 16-byte vector; the per-channel scales one each.
// CHECK-LABEL: func.func private @fp8_gemm(
// CHECK: moec.tile.load %arg0{{.*}} {moec.access = #moec.access<vec = 16, aligned = false>} {{.*}} -> tensor<64x64xf8E4M3FN>
// CHECK: moec.tile.load %arg1{{.*}} {moec.access = #moec.access<vec = 16, aligned = false>} {{.*}} -> tensor<64x64xf8E4M3FN>
// CHECK: moec.tile.load %arg3{{.*}} {moec.access = #moec.access<vec = 1, aligned = false>}
// CHECK: moec.tile.load %arg4{{.*}} {moec.access = #moec.access<vec = 1, aligned = false>}
module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @fp8(%a: memref<?x?xf8E4M3FN>, %b: memref<?x?xf8E4M3FN>, %c: memref<?x?xbf16>, %sa: memref<?xf32>, %sb: memref<?xf32>) {
    moec.gemm %a, %b -> %c scale_a(%sa : memref<?xf32>) scale_b(%sb : memref<?xf32>) {transpose_b, config = #moec.config<block_k = 64>}
      : memref<?x?xf8E4M3FN>, memref<?x?xf8E4M3FN> -> memref<?x?xbf16>
    return
  }
}
