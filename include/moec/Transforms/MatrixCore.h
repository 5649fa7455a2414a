//===- MatrixCore.h - the target-specific tile product ----------*- C++ -*-===//
//
// A MatrixCore says how one workgroup computes acc += A_tile x B_tile^T from
// LDS, and where each accumulator element lives. The GEMM skeleton
// (GemmKernelBuilder.cpp) is the same for every target; only this differs:
//   MFMA (gfx90a/gfx942/gfx950), mma.sync (sm_80/sm_90), per-lane sub-tiles
//   read from LDS (host).
//
// This header is the interface the target-independent skeleton programs
// against; the cores live in the per-target libraries (lib/Conversion/AMDGPU,
// NVVM, Host), which register a factory here (registerMatrixCore). The
// skeleton never includes a target dialect.
//
// LDS tiles are K-contiguous for both operands: A as [BM][BK] and B as
// [BN][BK], so every matrix unit reads K runs per lane (B may also be
// [BK][BN], GemmKernelSpec::ldsBIsKxN). Their columns are swizzled
// (LdsLayout.h): every access maps its column through it.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TRANSFORMS_MATRIXCORE_H
#define MOEC_TRANSFORMS_MATRIXCORE_H

#include "moec/Transforms/GemmKernel.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

#include <functional>
#include <memory>

namespace moec {

class MatrixCore {
public:
  virtual ~MatrixCore() = default;

  /// Lanes per workgroup (the plan's: num_warps x wave size).
  virtual int64_t lanes() const = 0;
  /// Sets the target's attributes on a new kernel (AMD: flat workgroup size
  /// and waves per EU); the skeleton names no target attribute itself.
  virtual void decorateKernel(mlir::OpBuilder &b, mlir::gpu::GPUFuncOp func) {}

  /// Accumulators live across the K loop as these SSA values (empty when the
  /// core keeps them in memory, as the host does).
  virtual llvm::SmallVector<mlir::Value>
  initAccumulators(mlir::OpBuilder &b, mlir::Location loc) = 0;

  /// Block-wise scaled products (one K tile's product scaled, then added to
  /// the running accumulators): fresh zero accumulators for the tile, and
  /// acc + tile. Register cores: initAccumulators and an element-wise add;
  /// the host, which keeps accumulators in memory, switches multiply and
  /// updateElements to a second buffer until addAccumulators folds it in.
  virtual llvm::SmallVector<mlir::Value>
  initTileAccumulators(mlir::OpBuilder &b, mlir::Location loc) {
    return initAccumulators(b, loc);
  }
  virtual llvm::SmallVector<mlir::Value>
  addAccumulators(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange acc,
                  mlir::ValueRange tile);

  /// acc += ldsA[buf] (BM x BK) * ldsB[buf] (BN x BK)^T. `ldsA`/`ldsB` are
  /// swizzled [buffers][rows][BK] views of LDS; `tid` is the lane id. With
  /// the spec's `ldsBIsKxN`, ldsB is [buffers][BK][BN] instead.
  virtual llvm::SmallVector<mlir::Value>
  multiply(mlir::OpBuilder &b, mlir::Location loc, mlir::Value ldsA,
           mlir::Value ldsB, mlir::Value buf, mlir::Value tid,
           mlir::ValueRange acc) = 0;

  /// GemmKernelSpec::mxfp4Native: the e8m0 scale (f8E8M0FNU) of B's tile
  /// row `row` for the 32 K elements starting at `k` within the current K
  /// tile; the skeleton sets it before multiply.
  std::function<mlir::Value(mlir::OpBuilder &, mlir::Location, mlir::Value row,
                            mlir::Value k)>
      mxScaleB;

  /// Calls `fn(row, col, value)` for every accumulator element this lane
  /// holds, with row/col within the workgroup tile and value an f32.
  using ElementFn = llvm::function_ref<void(mlir::OpBuilder &, mlir::Location,
                                            mlir::Value row, mlir::Value col,
                                            mlir::Value value)>;
  virtual void forEachElement(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value tid, mlir::ValueRange acc,
                              ElementFn fn);

  /// Like forEachElement, but `fn` returns the element's new f32 value and
  /// the updated accumulators are returned (on the host, which keeps them in
  /// memory, they are updated in place and the result is empty). The
  /// attention kernel rescales its output accumulator with it (the online
  /// softmax's correction factor per row) and clears the score accumulator.
  using UpdateFn = llvm::function_ref<mlir::Value(
      mlir::OpBuilder &, mlir::Location, mlir::Value row, mlir::Value col,
      mlir::Value value)>;
  virtual llvm::SmallVector<mlir::Value>
  updateElements(mlir::OpBuilder &b, mlir::Location loc, mlir::Value tid,
                 mlir::ValueRange acc, UpdateFn fn);

protected:
  /// Where the two above meet for cores that keep accumulators in registers
  /// (MFMA, mma.sync): calls `fn` on every element this lane holds; what
  /// `fn` leaves in its value is written back into the returned
  /// accumulators. A core that overrides both above need not implement it.
  using VisitFn = llvm::function_ref<void(mlir::OpBuilder &, mlir::Location,
                                          mlir::Value row, mlir::Value col,
                                          mlir::Value &value)>;
  virtual llvm::SmallVector<mlir::Value>
  visitElements(mlir::OpBuilder &b, mlir::Location loc, mlir::Value tid,
                mlir::ValueRange acc, VisitFn fn);

public:

  /// OCP e4m3fn codes (`codes`, a vector of an even number of i8) as a
  /// vector of f32, exactly, by the target's conversion instruction; null
  /// where the core has none (the caller then decodes the bits itself).
  virtual mlir::Value decodeE4M3(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value codes) {
    return {};
  }

  /// Global memory as the skeleton addresses it: a *window* of a 2-D global
  /// memref (inner stride 1) starting at element (row, col), and element
  /// offsets from that start. Every access carries a validity bit: an
  /// invalid load yields zeros and touches no memory, an invalid store is
  /// dropped, so edge tiles need no separate path. The defaults guard each
  /// access with a branch (a predicated access on NVIDIA); the AMD core uses
  /// buffer instructions instead, whose range check does the masking.
  virtual mlir::Value globalWindow(mlir::OpBuilder &b, mlir::Location loc,
                                   mlir::Value memref, mlir::Value row,
                                   mlir::Value col);
  /// Loads a `type` (an element or a vector of them) at `offset` elements
  /// into `window`. Vectors are loaded only at offsets aligned to their size.
  virtual mlir::Value loadGlobal(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value window, mlir::Type type,
                                 mlir::Value offset, mlir::Value valid);
  virtual void storeGlobal(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value window, mlir::Value value,
                           mlir::Value offset, mlir::Value valid);
  /// Atomically adds `value` (an f16/bf16/f32 element or a vector of them)
  /// to the elements at `offset` of `window`; dropped when `valid` is false.
  /// The default adds element by element with `memref.atomic_rmw addf`
  /// (a compare-and-swap loop where the target has no such instruction);
  /// the AMD core uses its packed buffer/global atomics.
  virtual void atomicAddGlobal(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value window, mlir::Value value,
                               mlir::Value offset, mlir::Value valid);

protected:
  /// Element offset of (row, col) in `memref`'s underlying buffer (its own
  /// offset included), and the metadata it came from: where every window
  /// starts.
  static std::pair<mlir::memref::ExtractStridedMetadataOp, mlir::Value>
  windowStart(mlir::OpBuilder &b, mlir::Location loc, mlir::Value memref,
              mlir::Value row, mlir::Value col);

public:
  /// Asynchronous global -> LDS copies, for the K loop of a spec with
  /// `asyncCopy` (NVIDIA cp.async). A core that returns true here implements
  /// the three hooks below; the others are never called.
  virtual bool copiesAsync() const { return false; }
  /// Starts copying `elems` contiguous elements (16 bytes) from global
  /// `src[srcIdx]` to LDS `dst[dstIdx]`; both addresses are 16-byte aligned.
  /// With `valid` given, a false one reads nothing and fills the
  /// destination with zeros (srcIdx must still be in bounds).
  virtual void asyncCopy(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value src, mlir::ValueRange srcIdx,
                         mlir::Value dst, mlir::ValueRange dstIdx,
                         int64_t elems, mlir::Value valid = {}) {}
  /// Closes the group of copies this lane started since the last commit
  /// (possibly none).
  virtual void commitAsyncCopies(mlir::OpBuilder &b, mlir::Location loc) {}
  /// Waits until at most `pending` of this lane's groups are in flight.
  virtual void waitAsyncCopies(mlir::OpBuilder &b, mlir::Location loc,
                               int64_t pending) {}
};

/// Bytes one load or store of `type` (an element or a vector) moves.
int64_t accessBytes(mlir::Type type);

/// The core for `spec.plan.target`, or failure with a message on `loc`.
mlir::FailureOr<std::unique_ptr<MatrixCore>>
createMatrixCore(const GemmKernelSpec &spec, mlir::Location loc);

/// What a per-target library registers for its TargetKind.
struct MatrixCoreFactory {
  /// Builds the core, or returns failure after a diagnostic on `loc` (a
  /// configuration or element type the core cannot do).
  std::function<mlir::FailureOr<std::unique_ptr<MatrixCore>>(
      const GemmKernelSpec &, mlir::Location)>
      create;
  /// Inserts the dialects the core's ops belong to (loaded before the
  /// lowering pass runs).
  std::function<void(mlir::DialectRegistry &)> dependentDialects;
  /// The upstream target attribute of the kernels' gpu.module
  /// (#rocdl.target, #nvvm.target), or null where there is none (host).
  std::function<mlir::Attribute(mlir::MLIRContext *, const TargetInfo &)>
      gpuModuleTarget;
};

/// Registers the core of `kind`; the last registration wins.
void registerMatrixCore(TargetKind kind, MatrixCoreFactory factory);
/// Inserts the dialects of every registered core.
void getMatrixCoreDialects(mlir::DialectRegistry &registry);
/// The gpu.module target attribute for `target`, or null.
mlir::Attribute getGpuModuleTarget(mlir::MLIRContext *ctx,
                                   const TargetInfo &target);

} // namespace moec

#endif // MOEC_TRANSFORMS_MATRIXCORE_H
