//===- LdsLayout.h - where a tile element lives in LDS ----------*- C++ -*-===//
//
// The GEMM skeleton's LDS tiles (A [buffers][BM][BK], B [buffers][BN][BK],
// the epilogue's [BM][BN]) are unpadded. Against bank conflicts, the 16-byte
// chunks of each row are permuted by an XOR with a phase of the row (Triton's
// swizzled shared layout with 16-byte vectors):
//
//   col' = col ^ ((row / perPhase) % maxPhase) * chunkElems
//
// The 32 4-byte banks span 128 bytes = 8 chunks. perPhase rows share one
// 128-byte line and perPhase * maxPhase = 8, so any 8 consecutive rows put a
// given chunk into 8 different bank groups. 16-byte accesses, served 8 lanes
// at a time, are conflict-free: MFMA operand reads at kpack 2 (lane l reads
// row l % nonkdim), ldmatrix (8 lanes point at 8 rows of one chunk) and the
// 16-byte stores (8 lanes cover a 128-byte line). 8-byte MFMA reads are served
// 16 lanes (16 rows, one half-chunk) at a time: 8 slots hold them at best two
// to a bank, as the 16-byte row padding did. Only whole chunks move, so an
// access inside one aligned chunk (a 16-byte vector at a chunk-aligned
// column, 8 bytes at an 8-aligned one, a scalar) stays contiguous; wider
// reads must be split per chunk. Rows that are not whole chunks, or a single
// chunk, stay unswizzled.
//
// Every writer and reader of the tiles maps its column through here.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TRANSFORMS_LDSLAYOUT_H
#define MOEC_TRANSFORMS_LDSLAYOUT_H

#include "moec/Dialect/TargetChecks.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

namespace moec {

struct LdsSwizzle {
  static constexpr int64_t kChunkBytes = 16;
  static constexpr int64_t kBankLineBytes = 128; ///< 32 banks x 4 bytes

  int64_t chunkElems = 1; ///< elements per 16-byte chunk
  int64_t perPhase = 1;   ///< consecutive rows that share a phase
  int64_t maxPhase = 1;   ///< number of phases; 1 leaves rows as they are

  /// The swizzle of rows of `rowElems` elements of `eltBytes` bytes. maxPhase
  /// is the largest power of two dividing the chunk count (at most 8), so the
  /// XOR never leaves the row.
  static LdsSwizzle get(int64_t rowElems, int64_t eltBytes) {
    LdsSwizzle s;
    if (kChunkBytes % eltBytes)
      return s;
    s.chunkElems = kChunkBytes / eltBytes;
    int64_t rowBytes = rowElems * eltBytes;
    if (rowBytes % kChunkBytes)
      return s;
    int64_t chunks = rowBytes / kChunkBytes;
    int64_t lineChunks = kBankLineBytes / kChunkBytes;
    s.maxPhase = std::min(lineChunks, chunks & -chunks);
    if (s.maxPhase < 2) {
      s.maxPhase = 1;
      return s;
    }
    s.perPhase = std::max<int64_t>(1, lineChunks / chunks);
    return s;
  }

  /// The swizzle of `tile`, an LDS memref whose innermost dimension is a row.
  /// A strided view (a subview of some columns) keeps its parent's swizzle:
  /// the phase follows the row pitch, not the view's width. Its column
  /// offset must be a multiple of the period (period()) for the view's
  /// columns to swizzle as the parent's do.
  static LdsSwizzle get(mlir::MemRefType tile) {
    int64_t rowElems = tile.getShape().back();
    if (tile.getRank() >= 2 && !tile.getLayout().isIdentity()) {
      llvm::SmallVector<int64_t> strides;
      int64_t offset;
      if (mlir::succeeded(tile.getStridesAndOffset(strides, offset)) &&
          !mlir::ShapedType::isDynamic(strides[strides.size() - 2]))
        rowElems = strides[strides.size() - 2];
    }
    return get(rowElems, elementBytes(tile.getElementType()));
  }
  static LdsSwizzle get(mlir::Value tile) {
    return get(llvm::cast<mlir::MemRefType>(tile.getType()));
  }

  bool isIdentity() const { return maxPhase == 1; }
  /// Columns after which the permutation repeats: a view whose first column
  /// is a multiple of it swizzles like its parent.
  int64_t period() const { return maxPhase * chunkElems; }

  int64_t col(int64_t r, int64_t c) const {
    return c ^ ((r / perPhase) % maxPhase) * chunkElems;
  }

  mlir::Value col(mlir::OpBuilder &b, mlir::Location loc, mlir::Value r,
                  mlir::Value c) const {
    if (isIdentity())
      return c;
    auto cst = [&](int64_t v) {
      return mlir::arith::ConstantIndexOp::create(b, loc, v);
    };
    // Powers of two throughout: shift, mask, shift.
    mlir::Value phase = r;
    if (perPhase > 1)
      phase = mlir::arith::ShRUIOp::create(b, loc, phase,
                                           cst(llvm::Log2_64(perPhase)));
    phase = mlir::arith::AndIOp::create(b, loc, phase, cst(maxPhase - 1));
    if (chunkElems > 1)
      phase = mlir::arith::ShLIOp::create(b, loc, phase,
                                          cst(llvm::Log2_64(chunkElems)));
    return mlir::arith::XOrIOp::create(b, loc, c, phase);
  }
};

/// The column at which element (row, col) of `tile` is stored.
inline mlir::Value swizzledLdsCol(mlir::OpBuilder &b, mlir::Location loc,
                                  mlir::Value tile, mlir::Value row,
                                  mlir::Value col) {
  return LdsSwizzle::get(tile).col(b, loc, row, col);
}

} // namespace moec

#endif // MOEC_TRANSFORMS_LDSLAYOUT_H
