// RUN: moec-opt %s | FileCheck %s
// RUN: moec-opt %s | moec-opt | FileCheck %s
// RUN: moec-opt %s -mlir-print-op-generic | moec-opt | FileCheck %s

// Round trip of every tile op (dialects/MoecTileOps.td) with every optional
// operand: the pretty form is printed, parsed and printed again, and the
// generic form parses back to the same pretty form. The program is a small
// GEMM tile program as moec-lower-gemm-to-tiles writes one.

// CHECK-LABEL: func.func private @prog
// CHECK-SAME: attributes {moec.tile_program}
// CHECK: %[[PID:.*]] = moec.tile.program_id 0 : index
// CHECK: scf.for {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (tensor<32x16xf32>)
// CHECK:   %[[A:.*]] = moec.tile.load %arg0[%{{.*}}, %{{.*}}] bounds[%{{.*}}, %{{.*}}] : memref<?x?xf16> -> tensor<32x8xf16>
// CHECK:   %[[BT:.*]] = moec.tile.load %arg1[%{{.*}}, %{{.*}}] bounds[%{{.*}}, %{{.*}}] other %{{.*}} : f16 : memref<?x?xf16> -> tensor<16x8xf16>
// CHECK:   %[[B:.*]] = moec.tile.trans %[[BT]] : tensor<16x8xf16> -> tensor<8x16xf16>
// CHECK:   moec.tile.dot %[[A]], %[[B]], %[[ACC]] : tensor<32x8xf16>, tensor<8x16xf16> -> tensor<32x16xf32>
// CHECK: moec.tile.splat %{{.*}} : f32 -> tensor<32x16xf32>
// CHECK: moec.tile.load %arg2[%{{.*}}] bounds[%{{.*}}] : memref<?xf32> -> tensor<16xf32>
// CHECK: moec.tile.broadcast %{{.*}} along 1 : tensor<16xf32> -> tensor<32x16xf32>
// CHECK: moec.tile.store %{{.*}}, %arg3[%{{.*}}, %{{.*}}] bounds[%{{.*}}, %{{.*}}] : tensor<32x16xf16>, memref<?x?xf16>
func.func private @prog(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %bias: memref<?xf32>,
                        %c: memref<?x?xf16>, %s: f32) attributes {moec.tile_program} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %pad = arith.constant 0.0 : f16
  %m = memref.dim %a, %c0 : memref<?x?xf16>
  %k = memref.dim %a, %c1 : memref<?x?xf16>
  %n = memref.dim %b, %c0 : memref<?x?xf16>
  %pid = moec.tile.program_id 0 : index
  %m0 = arith.muli %pid, %c32 : index
  %zero = arith.constant dense<0.0> : tensor<32x16xf32>
  %nk = arith.ceildivui %k, %c8 : index
  %acc = scf.for %kt = %c0 to %nk step %c1 iter_args(%acc0 = %zero) -> (tensor<32x16xf32>) {
    %k0 = arith.muli %kt, %c8 : index
    %ta = moec.tile.load %a[%m0, %k0] bounds [%m, %k] : memref<?x?xf16> -> tensor<32x8xf16>
    %tbt = moec.tile.load %b[%c0, %k0] bounds [%n, %k] other %pad : f16 : memref<?x?xf16> -> tensor<16x8xf16>
    %tb = moec.tile.trans %tbt : tensor<16x8xf16> -> tensor<8x16xf16>
    %acc1 = moec.tile.dot %ta, %tb, %acc0 : tensor<32x8xf16>, tensor<8x16xf16> -> tensor<32x16xf32>
    scf.yield %acc1 : tensor<32x16xf32>
  }
  %st = moec.tile.splat %s : f32 -> tensor<32x16xf32>
  %v0 = arith.mulf %acc, %st : tensor<32x16xf32>
  %brow = moec.tile.load %bias[%c0] bounds [%n] : memref<?xf32> -> tensor<16xf32>
  %bt = moec.tile.broadcast %brow along 1 : tensor<16xf32> -> tensor<32x16xf32>
  %v1 = arith.addf %v0, %bt : tensor<32x16xf32>
  %v2 = arith.truncf %v1 : tensor<32x16xf32> to tensor<32x16xf16>
  moec.tile.store %v2, %c[%m0, %c0] bounds [%m, %n] : tensor<32x16xf16>, memref<?x?xf16>
  return
}

// fp8 flavours may meet in a dot.
// CHECK-LABEL: func.func @dot_fp8_mixed
// CHECK: moec.tile.dot %{{.*}}, %{{.*}}, %{{.*}} : tensor<16x32xf8E4M3FN>, tensor<32x16xf8E5M2> -> tensor<16x16xf32>
func.func @dot_fp8_mixed(%a: tensor<16x32xf8E4M3FN>, %b: tensor<32x16xf8E5M2>, %acc: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %r = moec.tile.dot %a, %b, %acc : tensor<16x32xf8E4M3FN>, tensor<32x16xf8E5M2> -> tensor<16x16xf32>
  return %r : tensor<16x16xf32>
}

// CHECK-LABEL: func.func @host
// CHECK: moec.tile.launch @prog grid(%{{.*}}) (%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x?xf16>, memref<?x?xf16>, memref<?xf32>, memref<?x?xf16>, f32) -> ()
func.func @host(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %bias: memref<?xf32>,
                %c: memref<?x?xf16>, %s: f32, %g: index) {
  moec.tile.launch @prog grid(%g) (%a, %b, %bias, %c, %s) : (memref<?x?xf16>, memref<?x?xf16>, memref<?xf32>, memref<?x?xf16>, f32) -> ()
  return
}
