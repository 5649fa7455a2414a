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
#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace moec {

class MatrixCore;
struct TargetInfo;

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

//===----------------------------------------------------------------------===//
// Outlining: kernels and their launches (moec-lower-to-kernels,
// moec-tile-to-lanes)
//===----------------------------------------------------------------------===//

/// Casts a buffer operand to the fully dynamic type the kernel takes:
/// static sizes are forgotten, a rank-0 scale becomes [1].
mlir::Value castToKernelArg(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value v, mlir::Type kernelType);

/// The `gpu.module @moec_kernels` of `module`, created (with the target's
/// upstream target attribute) when there is none yet.
mlir::gpu::GPUModuleOp getOrCreateKernelModule(mlir::ModuleOp module,
                                               const TargetInfo &target);

/// A kernel name no symbol in the kernel module or the host module uses
/// yet: `<function>_<op>`, then `_1`, `_2`, ...
std::string uniqueKernelName(mlir::Operation *op, mlir::ModuleOp module,
                             mlir::gpu::GPUModuleOp kernels);

/// Where a moec op may stand: in a host function of the top-level module;
/// anything else is an error at the op.
mlir::LogicalResult checkPlacement(mlir::Operation *op, mlir::ModuleOp module);

/// The kernels take row-major buffers only.
mlir::LogicalResult checkIdentityLayouts(mlir::Operation *op);

/// The launch of a built kernel before `op`: its LDS attributes, the op's
/// operands cast to the kernel's argument types, then `makeGrid()`
/// workgroups of `lanesPerGroup` lanes; the op is erased unless told not
/// to. The numbers come from the op's plan, never recomputed here.
void emitLaunch(mlir::OpBuilder &b, mlir::Operation *op,
                mlir::gpu::GPUFuncOp func, int64_t ldsBytes, bool dynamicLds,
                int64_t lanesPerGroup, mlir::Attribute config,
                llvm::function_ref<mlir::Value()> makeGrid,
                bool eraseOp = true);
void emitLaunch(mlir::OpBuilder &b, mlir::Operation *op,
                mlir::gpu::GPUFuncOp func, const KernelPlan &plan,
                mlir::Attribute config,
                llvm::function_ref<mlir::Value()> makeGrid,
                bool eraseOp = true);

} // namespace moec

#endif // MOEC_TRANSFORMS_KERNELBUILDING_H
