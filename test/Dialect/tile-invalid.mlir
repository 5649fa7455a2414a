// RUN: moec-opt %s -split-input-file -verify-diagnostics

// One case per rule of the tile op verifiers (lib/Dialect/TileOps.cpp) and
// of the `moec.tile_program` attribute (MoecDialect::verifyOperationAttribute).

func.func @program_id_axis() {
  // expected-error @below {{axis 3 must be 0, 1 or 2}}
  %p = moec.tile.program_id 3 : index
  return
}

// -----

func.func @load_dynamic_tile(%m: memref<?x?xf16>, %i: index) {
  // expected-error @below {{tile 'tensor<?x8xf16>' must have a static shape}}
  %t = moec.tile.load %m[%i, %i] bounds [%i, %i] : memref<?x?xf16> -> tensor<?x8xf16>
  return
}

// -----

func.func @load_rank(%m: memref<?x?xf16>, %i: index) {
  // expected-error @below {{memref 'memref<?x?xf16>' and tile 'tensor<8xf16>' must have the same rank}}
  %t = moec.tile.load %m[%i] bounds [%i] : memref<?x?xf16> -> tensor<8xf16>
  return
}

// -----

func.func @load_elt(%m: memref<?x?xf16>, %i: index) {
  // expected-error @below {{memref element type 'f16' and tile element type 'bf16' must match}}
  %t = moec.tile.load %m[%i, %i] bounds [%i, %i] : memref<?x?xf16> -> tensor<8x8xbf16>
  return
}

// -----

func.func @load_indices(%m: memref<?x?xf16>, %i: index) {
  // expected-error @below {{needs one index per dimension (2), got 1}}
  %t = moec.tile.load %m[%i] bounds [%i, %i] : memref<?x?xf16> -> tensor<8x8xf16>
  return
}

// -----

func.func @load_bounds(%m: memref<?x?xf16>, %i: index) {
  // expected-error @below {{needs one bound per dimension (2), got 1}}
  %t = moec.tile.load %m[%i, %i] bounds [%i] : memref<?x?xf16> -> tensor<8x8xf16>
  return
}

// -----

func.func @load_other(%m: memref<?x?xf16>, %i: index, %o: f32) {
  // expected-error @below {{`other` has type 'f32', not the tile's element type 'f16'}}
  %t = moec.tile.load %m[%i, %i] bounds [%i, %i] other %o : f32 : memref<?x?xf16> -> tensor<8x8xf16>
  return
}

// -----

func.func @store_rank(%m: memref<?x?xf16>, %i: index, %v: tensor<8xf16>) {
  // expected-error @below {{memref 'memref<?x?xf16>' and tile 'tensor<8xf16>' must have the same rank}}
  moec.tile.store %v, %m[%i] bounds [%i] : tensor<8xf16>, memref<?x?xf16>
  return
}

// -----

func.func @dot_rank(%a: tensor<8xf16>, %b: tensor<8x8xf16>, %c: tensor<8x8xf32>) {
  // expected-error @below {{operands must be 2-D tiles}}
  %r = moec.tile.dot %a, %b, %c : tensor<8xf16>, tensor<8x8xf16> -> tensor<8x8xf32>
  return
}

// -----

func.func @dot_dynamic(%a: tensor<?x8xf16>, %b: tensor<8x8xf16>, %c: tensor<8x8xf32>) {
  // expected-error @below {{operands must have static shapes}}
  %r = moec.tile.dot %a, %b, %c : tensor<?x8xf16>, tensor<8x8xf16> -> tensor<8x8xf32>
  return
}

// -----

func.func @dot_k(%a: tensor<8x16xf16>, %b: tensor<8x8xf16>, %c: tensor<8x8xf32>) {
  // expected-error @below {{K of a (16) and of b (8) differ}}
  %r = moec.tile.dot %a, %b, %c : tensor<8x16xf16>, tensor<8x8xf16> -> tensor<8x8xf32>
  return
}

// -----

func.func @dot_acc_shape(%a: tensor<8x8xf16>, %b: tensor<8x16xf16>, %c: tensor<8x8xf32>) {
  // expected-error @below {{accumulator 'tensor<8x8xf32>' must be 8x16}}
  %r = moec.tile.dot %a, %b, %c : tensor<8x8xf16>, tensor<8x16xf16> -> tensor<8x8xf32>
  return
}

// -----

func.func @dot_acc_f32(%a: tensor<8x8xf16>, %b: tensor<8x8xf16>, %c: tensor<8x8xf16>) {
  // expected-error @below {{accumulator must be f32, got 'f16'}}
  %r = moec.tile.dot %a, %b, %c : tensor<8x8xf16>, tensor<8x8xf16> -> tensor<8x8xf16>
  return
}

// -----

func.func @dot_elt(%a: tensor<8x8xf16>, %b: tensor<8x8xbf16>, %c: tensor<8x8xf32>) {
  // expected-error @below {{a ('f16') and b ('bf16') must have the same element type}}
  %r = moec.tile.dot %a, %b, %c : tensor<8x8xf16>, tensor<8x8xbf16> -> tensor<8x8xf32>
  return
}

// -----

func.func @trans_rank(%a: tensor<8xf16>) {
  // expected-error @below {{transposes 2-D tiles only}}
  %r = moec.tile.trans %a : tensor<8xf16> -> tensor<8xf16>
  return
}

// -----

func.func @trans_shape(%a: tensor<8x16xf16>) {
  // expected-error @below {{result 'tensor<8x16xf16>' is not the transpose of 'tensor<8x16xf16>'}}
  %r = moec.tile.trans %a : tensor<8x16xf16> -> tensor<8x16xf16>
  return
}

// -----

func.func @splat_type(%s: f16) {
  // expected-error @below {{scalar 'f16' must be the tile's element type 'f32'}}
  %r = moec.tile.splat %s : f16 -> tensor<8x8xf32>
  return
}

// -----

func.func @broadcast_rank(%v: tensor<8x8xf32>) {
  // expected-error @below {{broadcasts a 1-D tile to a 2-D tile}}
  %r = moec.tile.broadcast %v along 0 : tensor<8x8xf32> -> tensor<8x8xf32>
  return
}

// -----

func.func @broadcast_dim(%v: tensor<8xf32>) {
  // expected-error @below {{dim 2 must be 0 or 1}}
  %r = moec.tile.broadcast %v along 2 : tensor<8xf32> -> tensor<8x8xf32>
  return
}

// -----

func.func @broadcast_size(%v: tensor<8xf32>) {
  // expected-error @below {{source 'tensor<8xf32>' does not run along dim 1 of 'tensor<8x16xf32>'}}
  %r = moec.tile.broadcast %v along 1 : tensor<8xf32> -> tensor<8x16xf32>
  return
}

// -----

// moec.tile.launch: TileLaunchOp::verifySymbolUses

func.func @launch_no_function(%g: index) {
  // expected-error @below {{'missing' does not name a function}}
  moec.tile.launch @missing grid(%g) () : () -> ()
  return
}

// -----

func.func private @plain(%x: f32)

func.func @launch_not_tile_program(%g: index, %x: f32) {
  // expected-error @below {{'plain' is not a tile program (no moec.tile_program)}}
  moec.tile.launch @plain grid(%g) (%x) : (f32) -> ()
  return
}

// -----

func.func private @prog(%x: f32) attributes {moec.tile_program}

func.func @launch_args(%g: index, %x: f16) {
  // expected-error @below {{arguments do not match the signature of 'prog'}}
  moec.tile.launch @prog grid(%g) (%x) : (f16) -> ()
  return
}

// -----

// moec.tile_program: MoecDialect::verifyOperationAttribute

// expected-error @below {{'moec.tile_program' must be a unit attribute}}
func.func private @prog_not_unit(%x: f32) attributes {moec.tile_program = 1 : i64}

// -----

// expected-error @below {{'moec.tile_program' marks a function, not 'builtin.module'}}
module attributes {moec.tile_program} {
}
