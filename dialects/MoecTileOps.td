//===- MoecTileOps.td - the tile level of moec --------------*- tablegen -*-===//
//
// The tile level: one workgroup's program written on tile-shaped values
// (ranked tensors of static shape), before it is distributed over lanes. It
// plays the part of Triton's TTIR: program ids, masked tile loads from and
// stores to global memrefs, a tile dot that accumulates in f32, and the
// epilogue as ordinary arith/math ops on tensors. The K loop is an `scf.for`
// carrying the accumulator tile; the workgroup swizzle is index arithmetic.
//
// A tile program is a `func.func` with the `moec.tile_program` attribute;
// `moec.tile.launch` runs it over a 1-D grid. `moec-lower-gemm-to-tiles`
// produces both from `moec.gemm`.
//
// Masks are rectangular: a tile at (row, col) with bounds (R, C) reads or
// writes element (i, j) iff row + i < R and col + j < C (rank 1: the first
// condition alone). This is every mask the GEMM, MoE and attention tiles
// need, and it is what the later global-access pass turns into buffer
// validity ranges.
//
//===----------------------------------------------------------------------===//

#ifndef MOEC_TILE_OPS_TD
#define MOEC_TILE_OPS_TD

include "mlir/IR/SymbolInterfaces.td"

class Moec_TileOp<string mnemonic, list<Trait> traits = []>
    : Moec_Op<"tile." # mnemonic, traits>;

def Moec_Tile : RankedTensorOf<[AnyType]>;
def Moec_Tile1Or2 : TensorRankOf<[AnyType], [1, 2]>;

def Moec_TileProgramIdOp : Moec_TileOp<"program_id", [Pure]> {
  let summary = "the id of this program (workgroup) in the launch grid";
  let description = [{
    The position of the running program along `axis` of the grid of the
    `moec.tile.launch` that runs it (only axis 0 is launched today).

    ```mlir
    %pid = moec.tile.program_id 0 : index
    ```
  }];
  let arguments = (ins I32Attr:$axis);
  let results = (outs Index:$result);
  let assemblyFormat = "$axis attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Moec_TileLoadOp : Moec_TileOp<"load", [AttrSizedOperandSegments]> {
  let summary = "masked load of a tile of a global memref";
  let description = [{
    Reads the tile of the result's shape whose first element is
    `%mem[%row, %col]`. Elements outside `bounds` (see the file comment: the
    mask is rectangular) read `other`, or zero when it is absent. The memref
    and the tile have the same rank (1 or 2) and element type.

    ```mlir
    %a = moec.tile.load %A[%m0, %k0] bounds [%M, %K]
      : memref<?x?xbf16> -> tensor<128x64xbf16>
    ```
  }];
  let arguments = (ins Arg<AnyMemRef, "source", [MemRead]>:$base,
                       Variadic<Index>:$indices, Variadic<Index>:$bounds,
                       Optional<AnyType>:$other);
  let results = (outs Moec_Tile1Or2:$result);
  let assemblyFormat = [{
    $base `[` $indices `]` `bounds` `[` $bounds `]` (`other` $other^ `:` type($other))?
    attr-dict `:` type($base) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Moec_TileStoreOp : Moec_TileOp<"store", [AttrSizedOperandSegments]> {
  let summary = "masked store of a tile to a global memref";
  let description = [{
    Writes `value` to the tile of its shape whose first element is
    `%mem[%row, %col]`; elements outside `bounds` are not written.

    ```mlir
    moec.tile.store %c, %C[%m0, %n0] bounds [%M, %N]
      : tensor<128x128xbf16>, memref<?x?xbf16>
    ```
  }];
  let arguments = (ins Moec_Tile1Or2:$value,
                       Arg<AnyMemRef, "destination", [MemWrite]>:$base,
                       Variadic<Index>:$indices, Variadic<Index>:$bounds);
  let assemblyFormat = [{
    $value `,` $base `[` $indices `]` `bounds` `[` $bounds `]`
    attr-dict `:` type($value) `,` type($base)
  }];
  let hasVerifier = 1;
}

def Moec_TileDotOp : Moec_TileOp<"dot", [Pure,
    AllTypesMatch<["acc", "result"]>]> {
  let summary = "tile matrix product accumulated in f32";
  let description = [{
    `result = acc + a x b` with `a: M x K`, `b: K x N`, `acc: M x N` of f32.
    `a` and `b` have the same element type (f16, bf16, fp8, i8), except
    that two fp8 flavours may meet (e4m3 x e5m2).

    ```mlir
    %acc1 = moec.tile.dot %a, %b, %acc0
      : tensor<128x64xbf16>, tensor<64x128xbf16> -> tensor<128x128xf32>
    ```
  }];
  let arguments = (ins Moec_Tile:$a, Moec_Tile:$b, Moec_Tile:$acc);
  let results = (outs Moec_Tile:$result);
  let assemblyFormat = [{
    $a `,` $b `,` $acc attr-dict `:` type($a) `,` type($b) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Moec_TileTransOp : Moec_TileOp<"trans", [Pure]> {
  let summary = "transpose of a 2-D tile";
  let description = [{
    `result[i, j] = source[j, i]`: how a tile loaded from a transposed
    operand (`transpose_a`, `transpose_b`) enters the dot.
  }];
  let arguments = (ins Moec_Tile:$source);
  let results = (outs Moec_Tile:$result);
  let assemblyFormat = "$source attr-dict `:` type($source) `->` type($result)";
  let hasVerifier = 1;
}

def Moec_TileSplatOp : Moec_TileOp<"splat", [Pure]> {
  let summary = "a tile with every element equal to a scalar";
  let arguments = (ins AnyType:$value);
  let results = (outs Moec_Tile:$result);
  let assemblyFormat = "$value attr-dict `:` type($value) `->` type($result)";
  let hasVerifier = 1;
}

def Moec_TileBroadcastOp : Moec_TileOp<"broadcast", [Pure]> {
  let summary = "a 1-D tile repeated along the other dimension of a 2-D tile";
  let description = [{
    `dim` is the result dimension the source runs along:
    `dim = 0`: `result[i, j] = source[i]` (a per-row vector, e.g. `scale_a`);
    `dim = 1`: `result[i, j] = source[j]` (a per-column vector: bias, `scale_b`).
  }];
  let arguments = (ins Moec_Tile:$source, I64Attr:$dim);
  let results = (outs Moec_Tile:$result);
  let assemblyFormat = [{
    $source `along` $dim attr-dict `:` type($source) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Moec_TileLaunchOp : Moec_TileOp<"launch",
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "run a tile program over a 1-D grid of programs";
  let description = [{
    Runs the tile program `callee` (a `func.func` with `moec.tile_program`)
    once for every program id in `[0, grid)`, each with `args`.

    ```mlir
    moec.tile.launch @mlp_down_gemm grid(%g) (%x, %w, %y)
      : (memref<?x4096xbf16>, memref<14336x4096xbf16>, memref<?x14336xbf16>)
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee, Index:$grid,
                       Variadic<AnyType>:$args);
  let assemblyFormat = [{
    $callee `grid` `(` $grid `)` `(` $args `)` attr-dict `:` functional-type($args, results)
  }];
}

#endif // MOEC_TILE_OPS_TD
