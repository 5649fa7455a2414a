//===- SparseWindowKernel.cpp - the moec.sparse_window_indices kernel -----===//
//
// For token t with len = seq_lens[t] <= topk:
//   indices[t, j] = block_table[t, j / P] * P + j % P   for j < len,
//   indices[t, j] = -1                                  for j >= len
// (P = page_size; also -1 where j / P is past block_table's second
// dimension); rows with len > topk are not written. Workgroup g takes the
// elements [g * E, (g + 1) * E) of the tokens x topk index matrix,
// E = plan.elemsPerWorkgroup, its lanes strided so that neighbouring lanes
// write neighbouring elements. Target-independent.
//
//===----------------------------------------------------------------------===//

#include "moec/Transforms/MoeKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace moec;

gpu::GPUFuncOp moec::buildSparseWindowIndicesKernel(
    OpBuilder &b, gpu::GPUModuleOp module, StringRef name,
    SparseWindowIndicesOp op, const ActAndMulPlan &plan) {
  MLIRContext *ctx = b.getContext();
  Location loc = op.getLoc();
  auto global = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Global);
  Type i32 = b.getI32Type();
  auto vecT = MemRefType::get({ShapedType::kDynamic}, i32,
                              MemRefLayoutAttrInterface(), global);
  auto matT = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic},
                              i32, MemRefLayoutAttrInterface(), global);

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  auto func = gpu::GPUFuncOp::create(
      b, loc, name, FunctionType::get(ctx, {vecT, matT, matT}, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(plan.lanes), 1, 1}));
  b.setInsertionPointToStart(&func.getBody().front());

  auto idx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  auto cst = [&](int64_t v) { return arith::ConstantIntOp::create(b, loc, i32, v); };
  Value lens = func.getArgument(0), table = func.getArgument(1),
        out = func.getArgument(2);
  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value wg = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value c0 = idx(0), c1 = idx(1);
  Value tokens = memref::DimOp::create(b, loc, out, c0);
  Value topk = memref::DimOp::create(b, loc, out, c1);
  Value maxBlocks = memref::DimOp::create(b, loc, table, c1);
  Value total = arith::MulIOp::create(b, loc, tokens, topk);
  Value per = idx(plan.elemsPerWorkgroup);
  Value lo = arith::MinUIOp::create(b, loc, arith::MulIOp::create(b, loc, wg, per),
                                    total);
  Value hi = arith::MinUIOp::create(b, loc, arith::AddIOp::create(b, loc, lo, per),
                                    total);
  Value start = arith::AddIOp::create(b, loc, lo, tid);
  int64_t pageSize = op.getPageSize();
  auto loop = scf::ForOp::create(b, loc, start, hi, idx(plan.lanes));
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value i = loop.getInductionVar();
    Value t = arith::DivUIOp::create(b, loc, i, topk);
    Value j = arith::RemUIOp::create(b, loc, i, topk);
    // len and topk compared as signed 64-bit: a negative len is an empty
    // window, and topk (an index) may exceed the i32 range.
    Value len = arith::ExtSIOp::create(
        b, loc, b.getI64Type(), memref::LoadOp::create(b, loc, lens, t));
    Value topk64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), topk);
    Value j64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), j);
    Value shortRow = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle,
                                           len, topk64);
    auto ifShort = scf::IfOp::create(b, loc, shortRow, /*withElse=*/false);
    b.setInsertionPointToStart(ifShort.thenBlock());
    Value block = arith::DivUIOp::create(b, loc, j, idx(pageSize));
    Value inWindow = arith::AndIOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, j64, len),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, block,
                              maxBlocks));
    auto value = scf::IfOp::create(b, loc, TypeRange{i32}, inWindow,
                                   /*withElse=*/true);
    {
      OpBuilder::InsertionGuard gv(b);
      b.setInsertionPointToStart(value.thenBlock());
      Value page = memref::LoadOp::create(b, loc, table, ValueRange{t, block});
      Value offset = arith::IndexCastOp::create(
          b, loc, i32, arith::RemUIOp::create(b, loc, j, idx(pageSize)));
      Value flat = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, page, cst(pageSize)), offset);
      scf::YieldOp::create(b, loc, ValueRange{flat});
      b.setInsertionPointToStart(value.elseBlock());
      scf::YieldOp::create(b, loc, ValueRange{cst(-1)});
    }
    memref::StoreOp::create(b, loc, value.getResult(0), out,
                            ValueRange{t, j});
  }
  gpu::ReturnOp::create(b, loc);
  return func;
}
