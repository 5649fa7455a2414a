//===- TileOps.cpp - verifiers of the moec tile ops -----------------------===//
//
// One rule per diagnostic; test/Dialect/tile-invalid.mlir has a case for
// each.
//
//===----------------------------------------------------------------------===//

#include "moec/Dialect/MoecDialect.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace moec;

namespace {

/// Rules shared by tile.load and tile.store: a static tile of the memref's
/// rank and element type, one index and one bound per dimension.
LogicalResult verifyTileAccess(Operation *op, MemRefType mem,
                               RankedTensorType tile, size_t numIndices,
                               size_t numBounds) {
  if (!tile.hasStaticShape())
    return op->emitOpError() << "tile " << tile << " must have a static shape";
  if (mem.getRank() != tile.getRank())
    return op->emitOpError()
           << "memref " << mem << " and tile " << tile
           << " must have the same rank";
  if (mem.getElementType() != tile.getElementType())
    return op->emitOpError()
           << "memref element type " << mem.getElementType()
           << " and tile element type " << tile.getElementType()
           << " must match";
  if (numIndices != static_cast<size_t>(tile.getRank()))
    return op->emitOpError() << "needs one index per dimension ("
                             << tile.getRank() << "), got " << numIndices;
  if (numBounds != static_cast<size_t>(tile.getRank()))
    return op->emitOpError() << "needs one bound per dimension ("
                             << tile.getRank() << "), got " << numBounds;
  return success();
}

bool isFp8(Type t) {
  return isa<Float8E4M3FNUZType, Float8E5M2FNUZType, Float8E4M3FNType,
             Float8E5M2Type>(t);
}

} // namespace

LogicalResult TileProgramIdOp::verify() {
  if (getAxis() > 2) // unsigned: a negative axis is large
    return emitOpError() << "axis " << getAxis() << " must be 0, 1 or 2";
  return success();
}

LogicalResult TileLoadOp::verify() {
  auto tile = cast<RankedTensorType>(getResult().getType());
  if (failed(verifyTileAccess(*this, cast<MemRefType>(getBase().getType()),
                              tile, getIndices().size(), getBounds().size())))
    return failure();
  if (getOther() && getOther().getType() != tile.getElementType())
    return emitOpError() << "`other` has type " << getOther().getType()
                         << ", not the tile's element type "
                         << tile.getElementType();
  return success();
}

LogicalResult TileStoreOp::verify() {
  return verifyTileAccess(*this, cast<MemRefType>(getBase().getType()),
                          cast<RankedTensorType>(getValue().getType()),
                          getIndices().size(), getBounds().size());
}

LogicalResult TileDotOp::verify() {
  auto a = cast<RankedTensorType>(getA().getType());
  auto b = cast<RankedTensorType>(getB().getType());
  auto acc = cast<RankedTensorType>(getAcc().getType());
  if (a.getRank() != 2 || b.getRank() != 2 || acc.getRank() != 2)
    return emitOpError() << "operands must be 2-D tiles";
  if (!a.hasStaticShape() || !b.hasStaticShape() || !acc.hasStaticShape())
    return emitOpError() << "operands must have static shapes";
  if (a.getDimSize(1) != b.getDimSize(0))
    return emitOpError() << "K of a (" << a.getDimSize(1) << ") and of b ("
                         << b.getDimSize(0) << ") differ";
  if (acc.getDimSize(0) != a.getDimSize(0) ||
      acc.getDimSize(1) != b.getDimSize(1))
    return emitOpError() << "accumulator " << acc << " must be "
                         << a.getDimSize(0) << "x" << b.getDimSize(1);
  if (!acc.getElementType().isF32())
    return emitOpError() << "accumulator must be f32, got "
                         << acc.getElementType();
  Type ea = a.getElementType(), eb = b.getElementType();
  if (ea != eb && !(isFp8(ea) && isFp8(eb)))
    return emitOpError() << "a (" << ea << ") and b (" << eb
                         << ") must have the same element type";
  return success();
}

LogicalResult TileTransOp::verify() {
  auto src = cast<RankedTensorType>(getSource().getType());
  auto res = cast<RankedTensorType>(getResult().getType());
  if (src.getRank() != 2 || res.getRank() != 2)
    return emitOpError() << "transposes 2-D tiles only";
  if (src.getElementType() != res.getElementType() ||
      src.getDimSize(0) != res.getDimSize(1) ||
      src.getDimSize(1) != res.getDimSize(0))
    return emitOpError() << "result " << res << " is not the transpose of "
                         << src;
  return success();
}

LogicalResult TileSplatOp::verify() {
  auto res = cast<RankedTensorType>(getResult().getType());
  if (getValue().getType() != res.getElementType())
    return emitOpError() << "scalar " << getValue().getType()
                         << " must be the tile's element type "
                         << res.getElementType();
  return success();
}

LogicalResult TileBroadcastOp::verify() {
  auto src = cast<RankedTensorType>(getSource().getType());
  auto res = cast<RankedTensorType>(getResult().getType());
  if (src.getRank() != 1 || res.getRank() != 2)
    return emitOpError() << "broadcasts a 1-D tile to a 2-D tile";
  if (getDim() != 0 && getDim() != 1)
    return emitOpError() << "dim " << getDim() << " must be 0 or 1";
  if (src.getElementType() != res.getElementType() ||
      src.getDimSize(0) != res.getDimSize(getDim()))
    return emitOpError() << "source " << src << " does not run along dim "
                         << getDim() << " of " << res;
  return success();
}

LogicalResult
TileLaunchOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto callee = symbolTable.lookupNearestSymbolFrom<FunctionOpInterface>(
      *this, getCalleeAttr());
  if (!callee)
    return emitOpError() << "'" << getCallee()
                         << "' does not name a function";
  if (!callee->hasAttr(MoecDialect::kTileProgramAttrName))
    return emitOpError() << "'" << getCallee() << "' is not a tile program (no "
                         << MoecDialect::kTileProgramAttrName << ")";
  if (TypeRange(callee.getArgumentTypes()) != getArgs().getTypes())
    return emitOpError() << "arguments do not match the signature of '"
                         << getCallee() << "'";
  return success();
}
