//===- ActAndMulKernel.cpp - the moec.act_and_mul kernel ------------------===//
//
// output[r, j] = act(input[r, j]) * input[r, N + j] over the rows r of the
// operands viewed as 2-D (leading dimensions collapsed), in f32. Workgroup
// g takes output elements [g * E, (g + 1) * E), E = plan.elemsPerWorkgroup,
// its lanes strided so that neighbouring lanes touch neighbouring elements.
// Target-independent; the activation is the GEMM epilogue's
// (Activation.cpp), so the unfused and the fused paths compute the same
// function.
//
//===----------------------------------------------------------------------===//

#include "moec/Transforms/Activation.h"
#include "moec/Transforms/MoeKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace moec;

gpu::GPUFuncOp moec::buildActAndMulKernel(OpBuilder &b,
                                          gpu::GPUModuleOp module,
                                          StringRef name, ActAndMulOp op,
                                          const ActAndMulPlan &plan) {
  MLIRContext *ctx = b.getContext();
  Location loc = op.getLoc();
  auto global = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Global);
  auto inT = cast<MemRefType>(op.getInput().getType());
  auto outT = cast<MemRefType>(op.getOutput().getType());
  int64_t rank = inT.getRank();
  SmallVector<int64_t> dyn(rank, ShapedType::kDynamic);
  auto argIn = MemRefType::get(dyn, inT.getElementType(),
                               MemRefLayoutAttrInterface(), global);
  auto argOut = MemRefType::get(dyn, outT.getElementType(),
                                MemRefLayoutAttrInterface(), global);

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  auto func = gpu::GPUFuncOp::create(
      b, loc, name, FunctionType::get(ctx, {argIn, argOut}, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(plan.lanes), 1, 1}));
  b.setInsertionPointToStart(&func.getBody().front());

  auto idx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  Value in = func.getArgument(0), out = func.getArgument(1);
  if (rank == 3) {
    SmallVector<ReassociationIndices> rows = {{0, 1}, {2}};
    in = memref::CollapseShapeOp::create(b, loc, in, rows);
    out = memref::CollapseShapeOp::create(b, loc, out, rows);
  }
  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value wg = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value c0 = idx(0), c1 = idx(1);
  Value rowsN = memref::DimOp::create(b, loc, out, c0);
  Value n = memref::DimOp::create(b, loc, out, c1);
  Value total = arith::MulIOp::create(b, loc, rowsN, n);
  Value per = idx(plan.elemsPerWorkgroup);
  Value lo = arith::MinUIOp::create(b, loc, arith::MulIOp::create(b, loc, wg, per),
                                    total);
  Value hi = arith::MinUIOp::create(b, loc, arith::AddIOp::create(b, loc, lo, per),
                                    total);
  Value start = arith::AddIOp::create(b, loc, lo, tid);
  auto loop = scf::ForOp::create(b, loc, start, hi, idx(plan.lanes));
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value i = loop.getInductionVar();
    Value r = arith::DivUIOp::create(b, loc, i, n);
    Value j = arith::RemUIOp::create(b, loc, i, n);
    Value up = arith::AddIOp::create(b, loc, j, n);
    auto f32 = b.getF32Type();
    auto widen = [&](Value v) -> Value {
      return v.getType() == f32 ? v : arith::ExtFOp::create(b, loc, f32, v);
    };
    Value gate = widen(memref::LoadOp::create(b, loc, in, ValueRange{r, j}));
    Value lin = widen(memref::LoadOp::create(b, loc, in, ValueRange{r, up}));
    Value y = arith::MulFOp::create(
        b, loc, buildActivation(b, loc, op.getActivation(), gate), lin);
    Type outElt = outT.getElementType();
    if (outElt != f32)
      y = arith::TruncFOp::create(b, loc, outElt, y);
    memref::StoreOp::create(b, loc, y, out, ValueRange{r, j});
  }
  gpu::ReturnOp::create(b, loc);
  return func;
}
