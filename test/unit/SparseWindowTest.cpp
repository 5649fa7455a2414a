//===- SparseWindowTest.cpp - moec.sparse_window_indices vs a reference ---===//
//
// Builds a `moec.sparse_window_indices` for each case, compiles it, and runs
// it on the host target through the host device and on gfx942 through the
// AMD emulator (lib/Emulator), then compares every element of `indices`
// with a plain reference: a row whose window is not longer than topk holds
// block_table[t, j / P] * P + j % P inside the window and -1 past it; a
// longer row keeps the sentinel it started with (the kernel must not write
// it). Windows 0, 1, topk - 1, topk, topk + 1 and a negative one, page sizes
// 1, 16 and 64, a shuffled block table.
//
//===----------------------------------------------------------------------===//

#include "moec/Dialect/MoecDialect.h"
#include "moec/Dialect/OpPlans.h"
#include "moec/Driver/Compiler.h"
#include "moec/Emulator/Emulator.h"
#include "moec/Runtime/KernelArgs.h"
#include "moec/Runtime/Runtime.h"
#include "moec/Tools/Registration.h"

#include "KernelRunner.h"
#include "TextModule.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

using namespace mlir;
using namespace moec;

namespace {

struct WindowCase {
  int64_t topk;
  int64_t pageSize;
  int64_t num_warps;
};

constexpr int32_t kUntouched = 0x5eed;

using moec::test::Arg;

std::string moduleText(const WindowCase &c, llvm::StringRef chip) {
  return fmt::format(
      R"(module attributes {{moec.target = #moec.target<"{0}">}} {{
  func.func @window(%l: memref<?xi32>, %bt: memref<?x?xi32>, %idx: memref<?x{1}xi32>) {{
    moec.sparse_window_indices %l, %bt -> %idx
      {{page_size = {2} : i64, config = #moec.config<num_warps = {3}>}}
      : memref<?xi32>, memref<?x?xi32> -> memref<?x{1}xi32>
    return
  }}
}})",
      chip.str(), c.topk, c.pageSize, c.num_warps);
}

/// Compiles `c` for `chip` and runs it on `args`. Returns an error text, ""
/// if none.
std::string compileAndRun(const WindowCase &c, llvm::StringRef chip,
                          const std::vector<Arg> &args, int64_t tokens) {
  moec::test::TextModule parsed(moduleText(c, chip));
  OwningOpRef<ModuleOp> &module = parsed.module;
  const std::string &diagnostics = parsed.diagnostics;
  if (!module)
    return "parse/verify error: " + diagnostics;
  SparseWindowIndicesOp op;
  module->walk([&](SparseWindowIndicesOp o) { op = o; });
  const TargetInfo *target = lookupTarget(chip);
  ActAndMulPlan plan = getSparseWindowIndicesPlan(op, *target);
  int64_t grid = plan.gridSize(tokens * c.topk);
  bool host = chip == "host";
  FailureOr<CompiledModule> compiled = compileModule(
      *module, host ? CompileStop::Loadable : CompileStop::LaneLevel);
  if (failed(compiled))
    return "compile error: " + diagnostics;
  return moec::test::runKernel(*module, *compiled, chip, grid, plan.lanes,
                               args);
}

void runCase(const WindowCase &c, llvm::StringRef chip) {
  int64_t k = c.topk, p = c.pageSize;
  // The windows under test, then a few random ones up to 3 topk.
  std::vector<int32_t> lens = {0, 1, static_cast<int32_t>(k - 1),
                               static_cast<int32_t>(k),
                               static_cast<int32_t>(k + 1), -3,
                               static_cast<int32_t>(3 * k)};
  std::mt19937 rng(1234 + k * 7 + p);
  for (int i = 0; i < 9; ++i)
    lens.push_back(static_cast<int32_t>(rng() % (3 * k + 1)));
  int64_t tokens = static_cast<int64_t>(lens.size());
  int64_t maxBlocks = (3 * k + p - 1) / p + 1;
  // Distinct shuffled physical blocks per token, as a paged cache has.
  std::vector<int32_t> table(tokens * maxBlocks);
  std::iota(table.begin(), table.end(), 0);
  std::shuffle(table.begin(), table.end(), rng);
  std::vector<int32_t> idx(tokens * k, kUntouched);
  std::vector<Arg> args = {
      {lens.data(), lens.size() * 4, {tokens}},
      {table.data(), table.size() * 4, {tokens, maxBlocks}},
      {idx.data(), idx.size() * 4, {tokens, k}}};
  std::string error = compileAndRun(c, chip, args, tokens);
  ASSERT_EQ(error, "");
  int64_t bad = 0;
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t j = 0; j < k; ++j) {
      int32_t want = kUntouched;
      if (lens[t] <= k)
        want = j < lens[t] ? table[t * maxBlocks + j / p] * p + j % p : -1;
      int32_t got = idx[t * k + j];
      if (got != want && ++bad <= 8)
        ADD_FAILURE() << fmt::format("token {} (window {}) j {}: got {}, want {}",
                                     t, lens[t], j, got, want);
    }
  EXPECT_EQ(bad, 0);
}

class SparseWindow : public ::testing::TestWithParam<WindowCase> {};

TEST_P(SparseWindow, Host) { runCase(GetParam(), "host"); }
TEST_P(SparseWindow, EmulatedGfx942) { runCase(GetParam(), "gfx942"); }

INSTANTIATE_TEST_SUITE_P(
    Cases, SparseWindow,
    ::testing::Values(WindowCase{64, 1, 4}, WindowCase{64, 64, 4},
                      WindowCase{128, 16, 1}, WindowCase{2048, 64, 4},
                      WindowCase{100, 64, 2}),
    [](const ::testing::TestParamInfo<WindowCase> &info) {
      return fmt::format("topk{}_page{}_warps{}", info.param.topk,
                         info.param.pageSize, info.param.num_warps);
    });

} // namespace
