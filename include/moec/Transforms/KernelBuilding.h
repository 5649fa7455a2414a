//===- KernelBuilding.h - pieces every kernel skeleton shares ---*- C++ -*-===//
//
// What the GEMM skeleton (GemmKernelBuilder.cpp) and the sparse attention
// skeleton (SparseAttentionKernelBuilder.cpp) build the same way: the kernel
// function and its argument types, the one raw LDS allocation a KernelPlan
// sizes, typed views into it, and index arithmetic.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TRANSFORMS_KERNELBUILDING_H
#define MOEC_TRANSFORMS_KERNELBUILDING_H

#include "moec/Plan/KernelPlan.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace moec {

class MatrixCore;

/// A memref of `rank` dynamic sizes of `elt` in the global address space:
/// the type of every kernel argument (AMD then uses global_load instead of
/// flat_load, NVIDIA ld.global).
mlir::MemRefType globalKernelArgType(mlir::MLIRContext *ctx, mlir::Type elt,
                                     int64_t rank);

/// A new kernel `name` at the end of `module` taking `argTypes`, launched
/// with `plan.lanes` lanes, decorated by `core` (AMD: flat workgroup size,
/// waves per EU).
mlir::gpu::GPUFuncOp createKernelFunc(mlir::OpBuilder &b,
                                      mlir::gpu::GPUModuleOp module,
                                      llvm::StringRef name,
                                      mlir::TypeRange argTypes,
                                      const KernelPlan &plan, MatrixCore &core,
                                      mlir::Location loc);

/// The kernel's LDS as raw bytes: `plan.ldsBytes` of workgroup memory
/// (16-byte aligned), or dynamic shared memory sized at launch where the
/// plan says so (NVIDIA past 48 KiB).
mlir::Value allocateLds(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::gpu::GPUFuncOp func, const KernelPlan &plan);

/// A `shape` x `elt` view of the raw LDS at byte `offset`.
mlir::Value ldsView(mlir::OpBuilder &b, mlir::Location loc, mlir::Value raw,
                    llvm::ArrayRef<int64_t> shape, mlir::Type elt,
                    int64_t offset);

/// Index arithmetic at one insertion point: short names for the arith ops
/// the skeletons write most.
struct IndexMath {
  mlir::OpBuilder &b;
  mlir::Location loc;

  mlir::Value cst(int64_t v) const {
    return mlir::arith::ConstantIndexOp::create(b, loc, v);
  }
  mlir::Value add(mlir::Value x, mlir::Value y) const {
    return mlir::arith::AddIOp::create(b, loc, x, y);
  }
  mlir::Value sub(mlir::Value x, mlir::Value y) const {
    return mlir::arith::SubIOp::create(b, loc, x, y);
  }
  mlir::Value mul(mlir::Value x, mlir::Value y) const {
    return mlir::arith::MulIOp::create(b, loc, x, y);
  }
  mlir::Value divU(mlir::Value x, mlir::Value y) const {
    return mlir::arith::DivUIOp::create(b, loc, x, y);
  }
  mlir::Value remU(mlir::Value x, mlir::Value y) const {
    return mlir::arith::RemUIOp::create(b, loc, x, y);
  }
  mlir::Value ceilDiv(mlir::Value x, int64_t d) const {
    return mlir::arith::CeilDivUIOp::create(b, loc, x, cst(d));
  }
  mlir::Value cmp(mlir::arith::CmpIPredicate p, mlir::Value x,
                  mlir::Value y) const {
    return mlir::arith::CmpIOp::create(b, loc, p, x, y);
  }
  mlir::Value minS(mlir::Value x, mlir::Value y) const {
    return mlir::arith::MinSIOp::create(b, loc, x, y);
  }
  mlir::Value maxS(mlir::Value x, mlir::Value y) const {
    return mlir::arith::MaxSIOp::create(b, loc, x, y);
  }
  mlir::Value andI(mlir::Value x, mlir::Value y) const {
    return mlir::arith::AndIOp::create(b, loc, x, y);
  }
  mlir::Value f32(double v) const {
    return mlir::arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
};

/// Asks LLVM not to unroll `loop` (a loop annotation the SCF -> CF -> LLVM
/// lowering carries to the latch branch): for loops whose unrolling buys
/// nothing but registers and compile time, e.g. the attention's score
/// product over d_qk, whose fully unrolled form spilled on sm_90.
void keepRolled(mlir::scf::ForOp loop);

} // namespace moec

#endif // MOEC_TRANSFORMS_KERNELBUILDING_H
