//===- WgmmaCore.cpp - the tile product by sm_90 warpgroup wgmma ----------===//
//
// sm_90 (PTX target sm_90a), f16 and bf16 inputs, f32 accumulate, through
// `wgmma.mma_async.sync.aligned.m64nNk16.f32.<t>.<t>` with both operands
// read from LDS by 64-bit matrix descriptors (config.wgmma; the verifier,
// KernelPlan::verifyWgmma, admits only what this core can do).
//
// Warpgroups (4 warps each) tile the block_m rows: warpgroup g owns rows
// [g * block_m / G, (g + 1) * block_m / G), as repM instructions of 64 rows
// by the whole block_n (N of the instruction, at most 256).
//
// LDS tiles are K-major, rows of block_k x 2 = 128 bytes, swizzled by
// LdsSwizzle as chunk ^ (row % 8): the hardware's 128-byte swizzle, given
// that every tile starts on a 1024-byte boundary (KernelPlan aligns the
// rings; Compiler.cpp aligns the shared memory to 1024 in a module that
// uses wgmma). Descriptor of a K-major, 128B-swizzled tile (PTX ISA,
// "Matrix Descriptor Format"):
//   bits  0-13 start address >> 4 (shared window byte address)
//   bits 16-29 leading byte offset >> 4 (unused for swizzled K-major: 1)
//   bits 32-45 stride byte offset >> 4: 8 rows x 128 B = 1024 -> 64
//   bits 49-51 base offset: 0 (tiles are 1024-aligned)
//   bits 62-63 swizzle mode: 1 = 128-byte swizzle
// The k-th K step of 16 elements (32 bytes) inside the 128-byte row adds 32
// bytes to the start address; the hardware applies the swizzle to the
// addresses it forms, as LdsSwizzle does to the stores.
//
// Accumulators (PTX ISA, "Register Fragments" of wgmma .m64nNk16, D): warp
// w (of 4) of the warpgroup owns rows 16w + g and 16w + g + 8 (g = lane / 4);
// for each n8 chunk j, columns 8j + 2t and 8j + 2t + 1 (t = lane % 4);
// register 4j + 2r + c is (row 16w + g + 8r, column 8j + 2t + c). One
// vector<N/2 x f32> per 64-row instruction.
//
// Per K tile the whole product is one inline-PTX statement (no NVVM op of
// MLIR 22 is used): fence.proxy.async.shared::cta (the tile was written by
// generic stores or cp.async, and a barrier made it visible to this thread;
// wgmma reads through the async proxy), wgmma.fence, block_k / 16 x repM
// wgmma.mma_async, commit_group, wait_group 0. Keeping issue and wait in one
// statement means the compiler never sees accumulator registers that the
// tensor core is still writing, and the wait ends before the skeleton's
// next barrier lets the ring slot be overwritten.
//
//===----------------------------------------------------------------------===//

#include "WgmmaCore.h"

#include "moec/Dialect/TargetChecks.h"
#include "moec/Transforms/LdsLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <string>

using namespace mlir;
using namespace moec;

namespace {

constexpr int64_t kWarp = 32;
constexpr int64_t kInstrM = KernelPlan::kWgmmaM, kInstrK = 16;
constexpr int64_t kRowBytes = 128;

class WgmmaCore final : public MatrixCore {
public:
  explicit WgmmaCore(const GemmKernelSpec &spec) : spec(spec) {
    groups = spec.cfg().num_warps / 4;
    rowsPerGroup = spec.cfg().block_m / groups;
    repM = rowsPerGroup / kInstrM;
    n = spec.cfg().block_n;
  }

  int64_t lanes() const override { return spec.plan.lanes; }

  SmallVector<Value> initAccumulators(OpBuilder &b, Location loc) override {
    auto t = VectorType::get({n / 2}, b.getF32Type());
    Value zero = arith::ConstantOp::create(b, loc, t, b.getZeroAttr(t));
    return SmallVector<Value>(repM, zero);
  }

  SmallVector<Value> multiply(OpBuilder &b, Location loc, Value ldsA,
                              Value ldsB, Value buf, Value tid,
                              ValueRange acc) override {
    Type i64 = b.getI64Type(), f32 = b.getF32Type();
    auto ci = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
    auto c64 = [&](int64_t v) {
      return arith::ConstantIntOp::create(b, loc, i64, v);
    };
    auto mul = [&](Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); };
    auto add = [&](Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); };
    const int64_t bk = spec.cfg().block_k;
    const int64_t eltBytes = elementBytes(spec.aType);
    const int64_t steps = bk / kInstrK;

    // Shared-window byte address of (buf, row 0) of each ring.
    auto base = [&](Value lds, int64_t rows) -> Value {
      Value p = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, lds);
      Value off = mul(buf, ci(rows * bk * eltBytes));
      return arith::IndexCastUIOp::create(b, loc, i64, add(p, off));
    };
    Value group = arith::DivUIOp::create(b, loc, tid, ci(4 * kWarp));
    Value aBase = add(base(ldsA, spec.cfg().block_m),
                      arith::IndexCastUIOp::create(
                          b, loc, i64,
                          mul(group, ci(rowsPerGroup * kRowBytes))));
    Value bBase = base(ldsB, n);
    // The descriptor's constant bits: LBO 1, SBO 1024 >> 4, 128B swizzle.
    const int64_t constBits = (int64_t(1) << 16) |
                              (int64_t(1024 >> 4) << 32) |
                              (int64_t(1) << 62);
    auto desc = [&](Value addr, int64_t byteOff) -> Value {
      Value a = add(addr, c64(byteOff));
      Value field = arith::ShRUIOp::create(
          b, loc, arith::AndIOp::create(b, loc, a, c64(0x3FFFF)), c64(4));
      return arith::OrIOp::create(b, loc, field, c64(constBits));
    };

    // Operands: the accumulators (outputs, then the same tied as inputs),
    // then the descriptors: A (step s, instruction i), then B (step s).
    const int64_t perAcc = n / 2, regs = repM * perAcc;
    SmallVector<Value> operands;
    for (int64_t i = 0; i < repM; ++i)
      for (int64_t r = 0; r < perAcc; ++r)
        operands.push_back(
            vector::ExtractOp::create(b, loc, acc[i], ArrayRef<int64_t>{r}));
    int64_t descA0 = 2 * regs;
    for (int64_t s = 0; s < steps; ++s)
      for (int64_t i = 0; i < repM; ++i)
        operands.push_back(desc(aBase, i * kInstrM * kRowBytes +
                                           s * kInstrK * eltBytes));
    int64_t descB0 = descA0 + steps * repM;
    for (int64_t s = 0; s < steps; ++s)
      operands.push_back(desc(bBase, s * kInstrK * eltBytes));
    int64_t one = descB0 + steps;
    operands.push_back(arith::ConstantIntOp::create(b, loc, b.getI32Type(), 1));

    std::string type = spec.aType.isBF16() ? "bf16" : "f16";
    std::string text = "{\n\t.reg .pred p;\n\tsetp.ne.b32 p, $" +
                       std::to_string(one) +
                       ", 0;\n\tfence.proxy.async.shared::cta;\n\t"
                       "wgmma.fence.sync.aligned;\n";
    for (int64_t s = 0; s < steps; ++s)
      for (int64_t i = 0; i < repM; ++i) {
        text += "\twgmma.mma_async.sync.aligned.m64n" + std::to_string(n) +
                "k16.f32." + type + "." + type + " {";
        for (int64_t r = 0; r < perAcc; ++r)
          text += (r ? ", $" : "$") + std::to_string(i * perAcc + r);
        text += "}, $" + std::to_string(descA0 + s * repM + i) + ", $" +
                std::to_string(descB0 + s) + ", p, 1, 1, 0, 0;\n";
      }
    text += "\twgmma.commit_group.sync.aligned;\n"
            "\twgmma.wait_group.sync.aligned 0;\n}";

    std::string constraints;
    for (int64_t r = 0; r < regs; ++r)
      constraints += (r ? ",=f" : "=f");
    for (int64_t r = 0; r < regs; ++r)
      constraints += "," + std::to_string(r);
    for (int64_t d = 0; d < steps * (repM + 1); ++d)
      constraints += ",l";
    constraints += ",r,~{memory}";

    auto resType = LLVM::LLVMStructType::getLiteral(
        b.getContext(), SmallVector<Type>(regs, f32));
    auto asmOp = LLVM::InlineAsmOp::create(
        b, loc, resType, operands, text, constraints,
        /*has_side_effects=*/true, /*is_align_stack=*/false,
        LLVM::tailcallkind::TailCallKind::None, LLVM::AsmDialectAttr(),
        ArrayAttr());
    SmallVector<Value> out;
    for (int64_t i = 0; i < repM; ++i) {
      SmallVector<Value> elems;
      for (int64_t r = 0; r < perAcc; ++r)
        elems.push_back(LLVM::ExtractValueOp::create(b, loc, asmOp.getRes(),
                                                     i * perAcc + r));
      out.push_back(vector::FromElementsOp::create(
          b, loc, VectorType::get({perAcc}, f32), elems));
    }
    return out;
  }

  SmallVector<Value> visitElements(OpBuilder &b, Location loc, Value tid,
                                   ValueRange accIn, VisitFn fn) override {
    SmallVector<Value> acc(accIn);
    auto c = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
    auto add = [&](Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); };
    auto mul = [&](Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); };
    Value warp = arith::DivUIOp::create(b, loc, tid, c(kWarp));
    Value lane = arith::RemUIOp::create(b, loc, tid, c(kWarp));
    Value group = arith::DivUIOp::create(b, loc, warp, c(4));
    Value g = arith::DivUIOp::create(b, loc, lane, c(4));
    Value t = arith::RemUIOp::create(b, loc, lane, c(4));
    Value row0 = add(add(mul(group, c(rowsPerGroup)),
                         mul(arith::RemUIOp::create(b, loc, warp, c(4)),
                             c(16))),
                     g);
    Value col0 = mul(t, c(2));
    for (int64_t i = 0; i < repM; ++i)
      for (int64_t j = 0; j < n / 8; ++j)
        for (int64_t r = 0; r < 2; ++r)
          for (int64_t cc = 0; cc < 2; ++cc) {
            int64_t idx = 4 * j + 2 * r + cc;
            Value row = add(row0, c(i * kInstrM + 8 * r));
            Value col = add(col0, c(8 * j + cc));
            Value &tile = acc[i];
            Value v =
                vector::ExtractOp::create(b, loc, tile, ArrayRef<int64_t>{idx});
            Value old = v;
            fn(b, loc, row, col, v);
            if (v != old)
              tile = vector::InsertOp::create(b, loc, v, tile,
                                              ArrayRef<int64_t>{idx});
          }
    return acc;
  }

  // Global -> LDS staging is mma.sync's (cp.async with async_copy).
  bool copiesAsync() const override { return inner->copiesAsync(); }
  void asyncCopy(OpBuilder &b, Location loc, Value src, ValueRange srcIdx,
                 Value dst, ValueRange dstIdx, int64_t elems,
                 Value valid) override {
    inner->asyncCopy(b, loc, src, srcIdx, dst, dstIdx, elems, valid);
  }
  void commitAsyncCopies(OpBuilder &b, Location loc) override {
    inner->commitAsyncCopies(b, loc);
  }
  void waitAsyncCopies(OpBuilder &b, Location loc, int64_t pending) override {
    inner->waitAsyncCopies(b, loc, pending);
  }
  Value decodeE4M3(OpBuilder &b, Location loc, Value codes) override {
    return inner->decodeE4M3(b, loc, codes);
  }

  std::unique_ptr<MatrixCore> inner;

private:
  const GemmKernelSpec &spec;
  int64_t groups = 1, rowsPerGroup = 64, repM = 1, n = 64;
};

} // namespace

FailureOr<std::unique_ptr<MatrixCore>>
moec::createWgmmaCore(const GemmKernelSpec &spec, Location loc,
                      std::unique_ptr<MatrixCore> staging) {
  // The verifier refuses what this core cannot do; say so again here for
  // a spec that skipped it.
  if (failed(spec.plan.verifyWgmma([&] { return emitError(loc); })))
    return failure();
  if (spec.ldsBIsKxN || spec.mxfp4Native || spec.groupK || !staging)
    return emitError(loc) << "wgmma = true: this GEMM's operands are not "
                             "K-major 16-bit LDS tiles",
           failure();
  auto core = std::make_unique<WgmmaCore>(spec);
  core->inner = std::move(staging);
  return std::unique_ptr<MatrixCore>(std::move(core));
}
