//===- MoeGemmTest.cpp - moec.moe_gemm against a float64 reference ---------===//
//
// Builds a `moec.moe_gemm` for each case, compiles it, and runs it
//   - on the host target through the host device (workgroups in parallel on
//     the thread pool, so `reduce`'s atomic adds race for real), and
//   - on gfx942 / gfx90a / gfx950 through the AMD emulator (lib/Emulator):
//     the lane-level kernel that becomes the code object, with MFMA
//     layouts, buffer range checks and LDS checks,
// with routing arrays built here the way vLLM's moe_align_block_size
// builds them (sorted_token_ids grouped by expert and padded to block_m
// with the sentinel tokens x top_k, expert_ids per block, -1 for an expert
// this rank skips, num_tokens_post_padded), and compares with a float64
// reference computed from the rounded inputs. C starts as NaN bytes without
// `reduce`: a row the kernel must not write (padding, a skipped expert)
// must still be NaN, and every row it must write must be close. With
// `reduce` C starts with random values the kernel must add to.
//
//===----------------------------------------------------------------------===//

#include "moec/Dialect/MoecDialect.h"
#include "moec/Dialect/OpPlans.h"
#include "moec/Driver/Compiler.h"
#include "moec/Emulator/Emulator.h"
#include "moec/Emulator/Numeric.h"
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
#include <cmath>
#include <numeric>
#include <random>

using namespace mlir;
using namespace moec;

namespace {

enum class Routing {
  Random,    ///< top_k distinct random experts per token
  OneExpert, ///< every copy to expert 0 (others empty)
  Skip,      ///< random, but expert 1's blocks say -1 (another rank's)
};

/// The dtypes and scales (the op's quantization schemes).
enum class Quant {
  None,         ///< f16/bf16 A and W
  Fp8Tensor,    ///< fp8_w8a8, a_scale per tensor [], b_scale per expert [E]
  Fp8Token,     ///< fp8_w8a8, a_scale per token [M], b_scale per channel [E, N]
  Int8Channel,  ///< int8_w8a16: bf16 A, i8 W, b_scale per channel [E, N]
  Fp8Block,     ///< fp8_w8a8 block-wise: a_scale [M, K/gk], b_scale [E, N/gn, K/gk]
  Mxfp4,        ///< bf16 A, W [E, N, K/2] packed e2m1, b_scale [E, N, K/32] e8m0
};

constexpr int64_t kGroupN = 32, kGroupK = 64; ///< Fp8Block's block_shape

struct MoeCase {
  const char *name;
  int64_t tokens, experts, n, k, topK;
  Routing routing = Routing::Random;
  bool reduce = false, weights = false, aPerCopy = false;
  const char *ab = "bf16"; ///< A and W (fp8: the target's e4m3 flavour)
  const char *c = "bf16";  ///< C
  Quant quant = Quant::None;
  int64_t blockM = 16;
  const char *config = "block_m = 16, block_n = 32, block_k = 32, num_warps = 2";
  /// A gated activation ("silu", "gelu"; null: none): C is N/2 wide and
  /// holds w * act(gate) * up, gate = W rows [0, N/2), up = [N/2, N).
  const char *act = nullptr;
};

/// act(x) in float64 for the gated cases.
double activationRef(llvm::StringRef act, double x) {
  if (act == "silu")
    return x / (1.0 + std::exp(-x));
  return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); // gelu
}

emu::EK kindOf(llvm::StringRef t) {
  if (t == "f16")
    return emu::EK::F16;
  if (t == "f32")
    return emu::EK::F32;
  if (t == "i8")
    return emu::EK::I8;
  if (t == "f8E4M3FNUZ")
    return emu::EK::F8E4M3FNUZ;
  if (t == "f8E4M3FN")
    return emu::EK::F8E4M3FN;
  return emu::EK::BF16;
}

/// The element types of A and W for `c` on `chip` ("" where the chip has
/// no such type: fp8 on gfx90a). The host decodes fp8 in software.
std::pair<std::string, std::string> operandTypes(const MoeCase &c,
                                                 llvm::StringRef chip) {
  switch (c.quant) {
  case Quant::None:
    return {c.ab, c.ab};
  case Quant::Int8Channel:
  case Quant::Mxfp4:
    return {c.ab, "i8"};
  case Quant::Fp8Tensor:
  case Quant::Fp8Token:
  case Quant::Fp8Block:
    if (chip == "gfx942")
      return {"f8E4M3FNUZ", "f8E4M3FNUZ"};
    if (chip == "gfx950" || chip == "host") // host: OCP, as sm_90 takes
      return {"f8E4M3FN", "f8E4M3FN"};
    return {"", ""};
  }
  return {"", ""};
}

/// An array in an element encoding, with the values its bits mean.
struct Array {
  emu::EK kind;
  std::vector<uint8_t> bytes;
  std::vector<double> values;
  Array(emu::EK kind, size_t n)
      : kind(kind), bytes(n * emu::bytesOf(kind)), values(n) {}
  void set(size_t i, double v) {
    uint64_t bits = emu::encode(kind, v);
    std::memcpy(&bytes[i * emu::bytesOf(kind)], &bits, emu::bytesOf(kind));
    values[i] = emu::decode(kind, bits);
  }
  double get(size_t i) const {
    uint64_t bits = 0;
    std::memcpy(&bits, &bytes[i * emu::bytesOf(kind)], emu::bytesOf(kind));
    return emu::decode(kind, bits);
  }
};

/// vLLM's moe_align_block_size on the host.
struct RoutingArrays {
  std::vector<int32_t> topkIds, sorted, expertIds;
  int32_t postPadded = 0;
};

RoutingArrays makeRouting(const MoeCase &c, std::mt19937_64 &rng) {
  RoutingArrays r;
  int64_t copies = c.tokens * c.topK;
  r.topkIds.resize(copies);
  for (int64_t t = 0; t < c.tokens; ++t) {
    std::vector<int32_t> experts(c.experts);
    std::iota(experts.begin(), experts.end(), 0);
    std::shuffle(experts.begin(), experts.end(), rng);
    for (int64_t j = 0; j < c.topK; ++j)
      r.topkIds[t * c.topK + j] =
          c.routing == Routing::OneExpert ? 0 : experts[j % c.experts];
  }
  int32_t sentinel = static_cast<int32_t>(copies);
  for (int64_t e = 0; e < c.experts; ++e) {
    int64_t start = r.sorted.size();
    for (int64_t s = 0; s < copies; ++s)
      if (r.topkIds[s] == e)
        r.sorted.push_back(static_cast<int32_t>(s));
    while ((r.sorted.size() - start) % c.blockM)
      r.sorted.push_back(sentinel);
    for (size_t b = start / c.blockM; b < r.sorted.size() / c.blockM; ++b)
      r.expertIds.push_back(c.routing == Routing::Skip && e == 1 ? -1 : e);
  }
  r.postPadded = static_cast<int32_t>(r.sorted.size());
  // vLLM's buffer size: room for the worst case, sentinel-filled; the
  // blocks past num_tokens_post_padded name expert 0 so that only the
  // post-padded guard stops them.
  size_t capacity = copies + c.experts * (c.blockM - 1);
  r.sorted.resize(std::max(capacity, r.sorted.size()), sentinel);
  r.expertIds.resize((r.sorted.size() + c.blockM - 1) / c.blockM, 0);
  return r;
}

std::string moduleText(const MoeCase &c, llvm::StringRef chip) {
  std::string cType = c.reduce ? fmt::format("memref<?x?x{}>", c.c)
                               : fmt::format("memref<?x?x?x{}>", c.c);
  auto [aElt, wElt] = operandTypes(c, chip);
  std::string wType = fmt::format("memref<?x?x?x{}>", wElt);
  std::string aType = fmt::format("memref<?x?x{}>", aElt);
  std::string scales;
  if (c.quant == Quant::Fp8Tensor)
    scales = "a_scale(%as0 : memref<f32>) b_scale(%bs1 : memref<?xf32>)";
  else if (c.quant == Quant::Fp8Token)
    scales = "a_scale(%as1 : memref<?xf32>) b_scale(%bs2 : memref<?x?xf32>)";
  else if (c.quant == Quant::Int8Channel)
    scales = "b_scale(%bs2 : memref<?x?xf32>)";
  else if (c.quant == Quant::Fp8Block)
    scales = "a_scale(%as2 : memref<?x?xf32>) b_scale(%bs3 : memref<?x?x?xf32>)";
  else if (c.quant == Quant::Mxfp4)
    scales = "b_scale(%bs4 : memref<?x?x?xf8E8M0FNU>)";
  std::string attrs = fmt::format("top_k = {} : i64", c.topK);
  if (c.reduce)
    attrs += ", reduce";
  if (c.aPerCopy)
    attrs += ", a_per_copy";
  if (c.act)
    attrs += fmt::format(", activation = #moec.activation<{}>", c.act);
  if (c.quant == Quant::Mxfp4)
    attrs += ", mxfp4";
  if (c.quant == Quant::Fp8Block)
    attrs += fmt::format(", group_n = {} : i64, group_k = {} : i64", kGroupN,
                         kGroupK);
  return fmt::format(
      R"(module attributes {{moec.target = #moec.target<"{0}">}} {{
  func.func @moe(%a: {1}, %w: {2}, %c: {3}, %s: memref<?xi32>, %e: memref<?xi32>,
                 %n: memref<1xi32>, %tw: memref<?x?xf32>, %as0: memref<f32>,
                 %as1: memref<?xf32>, %bs1: memref<?xf32>, %bs2: memref<?x?xf32>,
                 %as2: memref<?x?xf32>, %bs3: memref<?x?x?xf32>,
                 %bs4: memref<?x?x?xf8E8M0FNU>) {{
    moec.moe_gemm %a, %w -> %c
      routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {4} {7}
      {{{5}, config = #moec.config<{6}>}} : {1}, {2} -> {3}
    return
  }}
}})",
      chip.str(), aType, wType, cType,
      c.weights ? "topk_weights(%tw : memref<?x?xf32>)" : "", attrs, c.config,
      scales);
}

using moec::test::Arg;

/// Compiles `c` for `chip` and runs it on `args`: the host device for
/// "host", the AMD emulator otherwise. Returns an error text, "" if none.
std::string compileAndRun(const MoeCase &c, llvm::StringRef chip,
                          const std::vector<Arg> &args) {
  moec::test::TextModule parsed(moduleText(c, chip));
  OwningOpRef<ModuleOp> &module = parsed.module;
  const std::string &diagnostics = parsed.diagnostics;
  if (!module)
    return "parse/verify error: " + diagnostics;
  MoeGemmOp op;
  module->walk([&](MoeGemmOp o) { op = o; });
  const TargetInfo *target = lookupTarget(chip);
  KernelPlan plan = getMoeGemmPlan(op, *target);
  int64_t grid = plan.gridSize(args[3].sizes[0], c.n);
  bool host = chip == "host";
  FailureOr<CompiledModule> compiled = compileModule(
      *module, host ? CompileStop::Loadable : CompileStop::LaneLevel);
  if (failed(compiled))
    return "compile error: " + diagnostics;
  return moec::test::runKernel(*module, *compiled, chip, grid, plan.lanes,
                               args);
}

/// Relative error bound of one output element type: one rounding of the
/// result (plus, with `reduce`, one per added copy and the initial value).
double tolerance(emu::EK c, int64_t adds) {
  double one = c == emu::EK::BF16 ? 1.0 / 128 : c == emu::EK::F16 ? 1.0 / 512
                                                                  : 1e-5;
  return one * adds;
}

void runCase(const MoeCase &c, llvm::StringRef chip) {
  SCOPED_TRACE(fmt::format("{} on {}", c.name, chip.str()));
  std::mt19937_64 rng(std::hash<std::string>()(c.name));
  std::uniform_real_distribution<double> uni(-1.0, 1.0), pos(0.0, 1.0);
  auto [aElt, wElt] = operandTypes(c, chip);
  if (aElt.empty())
    GTEST_SKIP() << "no fp8 on " << chip.str();
  RoutingArrays r = makeRouting(c, rng);
  int64_t copies = c.tokens * c.topK;
  int64_t aRows = c.aPerCopy ? copies : c.tokens;
  emu::EK aKind = kindOf(aElt), wKind = kindOf(wElt), cKind = kindOf(c.c);
  Array a(aKind, aRows * c.k), w(wKind, c.experts * c.n * c.k);
  for (size_t i = 0; i < a.values.size(); ++i)
    a.set(i, uni(rng));
  std::uniform_int_distribution<int> i8(-127, 127);
  for (size_t i = 0; i < w.values.size(); ++i)
    w.set(i, wKind == emu::EK::I8 ? double(i8(rng)) : uni(rng));
  // MXFP4: random bytes (two e2m1 codes, element 2j in the low nibble) and
  // e8m0 scales 2^-6 .. 2^3; w.values become the dequantized weights.
  bool mx = c.quant == Quant::Mxfp4;
  std::vector<uint8_t> mxBytes, mxScales;
  if (mx) {
    static const double e2m1[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
    std::uniform_int_distribution<int> byte(0, 255), expo(121, 130);
    mxBytes.resize(c.experts * c.n * c.k / 2);
    mxScales.resize(c.experts * c.n * c.k / 32);
    for (auto &x : mxBytes)
      x = static_cast<uint8_t>(byte(rng));
    for (auto &x : mxScales)
      x = static_cast<uint8_t>(expo(rng));
    for (size_t i = 0; i < w.values.size(); ++i) {
      int code = (mxBytes[i / 2] >> (4 * (i % 2))) & 15;
      double v = e2m1[code & 7] * std::ldexp(1.0, int(mxScales[i / 32]) - 127);
      w.values[i] = code & 8 ? -v : v;
    }
  }
  // Scales in [0.5, 2): a_scale per tensor (1) or per A row, b_scale per
  // expert or per (expert, column).
  std::uniform_real_distribution<double> scale(0.5, 2.0);
  bool perToken = c.quant == Quant::Fp8Token;
  bool perChannel = c.quant == Quant::Fp8Token || c.quant == Quant::Int8Channel;
  bool block = c.quant == Quant::Fp8Block;
  int64_t kGroups = (c.k + kGroupK - 1) / kGroupK;
  int64_t nGroups = (c.n + kGroupN - 1) / kGroupN;
  Array as(emu::EK::F32, block ? aRows * kGroups : perToken ? aRows : 1);
  Array bs(emu::EK::F32, block        ? c.experts * nGroups * kGroups
                         : perChannel ? c.experts * c.n
                                      : c.experts);
  for (size_t i = 0; i < as.values.size(); ++i)
    as.set(i, scale(rng));
  for (size_t i = 0; i < bs.values.size(); ++i)
    bs.set(i, scale(rng));
  Array tw(emu::EK::F32, std::max<int64_t>(copies, 1));
  for (size_t i = 0; i < tw.values.size(); ++i)
    tw.set(i, pos(rng));
  int64_t cRows = c.reduce ? c.tokens : copies;
  int64_t cN = c.act ? c.n / 2 : c.n; // C's last dimension
  Array out(cKind, std::max<int64_t>(cRows * cN, 1));
  if (c.reduce)
    for (size_t i = 0; i < out.values.size(); ++i)
      out.set(i, uni(rng));
  else
    std::fill(out.bytes.begin(), out.bytes.end(), 0xFF); // NaN
  Array init = out;

  std::vector<Arg> args = {
      {a.bytes.data(), a.bytes.size(), {aRows, c.k}},
      mx ? Arg{mxBytes.data(), mxBytes.size(), {c.experts, c.n, c.k / 2}}
         : Arg{w.bytes.data(), w.bytes.size(), {c.experts, c.n, c.k}},
      {out.bytes.data(), out.bytes.size(),
       c.reduce ? std::vector<int64_t>{c.tokens, cN}
                : std::vector<int64_t>{c.tokens, c.topK, cN}},
      {r.sorted.data(), r.sorted.size() * 4, {int64_t(r.sorted.size())}},
      {r.expertIds.data(), r.expertIds.size() * 4,
       {int64_t(r.expertIds.size())}},
      {&r.postPadded, 4, {1}},
  };
  if (c.weights)
    args.push_back({tw.bytes.data(), tw.bytes.size(), {c.tokens, c.topK}});
  if (c.quant == Quant::Fp8Tensor || c.quant == Quant::Fp8Token)
    args.push_back({as.bytes.data(), as.bytes.size(),
                    {int64_t(as.values.size())}});
  if (block)
    args.push_back({as.bytes.data(), as.bytes.size(), {aRows, kGroups}});
  if (block)
    args.push_back({bs.bytes.data(), bs.bytes.size(),
                    {c.experts, nGroups, kGroups}});
  else if (mx)
    args.push_back(
        {mxScales.data(), mxScales.size(), {c.experts, c.n, c.k / 32}});
  else if (c.quant != Quant::None)
    args.push_back({bs.bytes.data(), bs.bytes.size(),
                    perChannel ? std::vector<int64_t>{c.experts, c.n}
                               : std::vector<int64_t>{c.experts}});
  std::string error = compileAndRun(c, chip, args);
  ASSERT_EQ(error, "");

  // Reference: what each sorted id of a live block contributes.
  std::vector<double> ref(cRows * cN, 0.0);
  std::vector<double> pre(c.n);
  std::vector<bool> written(cRows, false);
  for (int64_t blk = 0; blk * c.blockM < r.postPadded; ++blk) {
    int32_t e = r.expertIds[blk];
    if (e < 0)
      continue;
    for (int64_t i = blk * c.blockM; i < (blk + 1) * c.blockM; ++i) {
      int64_t s = r.sorted[i];
      if (s >= copies)
        continue;
      int64_t row = c.aPerCopy ? s : s / c.topK;
      int64_t dst = c.reduce ? s / c.topK : s;
      written[dst] = true;
      double weight = c.weights ? tw.values[s] : 1.0;
      double aScale = c.quant == Quant::Fp8Tensor || c.quant == Quant::Fp8Token
                          ? as.values[perToken ? row : 0]
                          : 1.0;
      for (int64_t j = 0; j < c.n; ++j) {
        double acc = 0;
        for (int64_t kk = 0; kk < c.k; ++kk)
          acc += a.values[row * c.k + kk] * w.values[(e * c.n + j) * c.k + kk] *
                 (block ? as.values[row * kGroups + kk / kGroupK] *
                              bs.values[(e * nGroups + j / kGroupN) * kGroups +
                                        kk / kGroupK]
                        : 1.0);
        double bScale = c.quant == Quant::None || block || mx ? 1.0
                        : perChannel ? bs.values[e * c.n + j]
                                     : bs.values[e];
        pre[j] = aScale * bScale * acc;
      }
      // The gated activation on the float64 gate and up columns.
      for (int64_t j = 0; j < cN; ++j)
        ref[dst * cN + j] +=
            weight * (c.act ? activationRef(c.act, pre[j]) * pre[cN + j]
                            : pre[j]);
    }
  }
  double maxErr = 0, maxRef = 0;
  int64_t badUnwritten = 0, nonFinite = 0;
  for (int64_t i = 0; i < cRows; ++i)
    for (int64_t j = 0; j < cN; ++j) {
      size_t at = i * cN + j;
      double got = out.get(at);
      if (!written[i]) {
        // Untouched: NaN stays NaN, a reduce target keeps its value.
        bool same = c.reduce ? got == init.values[at] : std::isnan(got);
        badUnwritten += !same;
        continue;
      }
      double want = ref[at] + (c.reduce ? init.values[at] : 0.0);
      if (!std::isfinite(got)) {
        ++nonFinite;
        continue;
      }
      maxErr = std::max(maxErr, std::abs(got - want));
      maxRef = std::max(maxRef, std::abs(want));
    }
  double rel = maxRef > 0 ? maxErr / maxRef : maxErr;
  EXPECT_EQ(nonFinite, 0) << "rows the kernel must write are NaN";
  EXPECT_EQ(badUnwritten, 0) << "rows the kernel must not touch changed";
  EXPECT_LE(rel, tolerance(cKind, c.reduce ? c.topK + 1 : 1))
      << "max abs error " << maxErr << " of max " << maxRef;
}

std::vector<MoeCase> cases() {
  std::vector<MoeCase> v;
  auto add = [&](MoeCase c) { v.push_back(c); };
  // name, tokens, experts, n, k, top_k
  add({"random_top2", 37, 4, 64, 96, 2});
  add({"tokens1", 1, 4, 32, 64, 2});
  add({"top1_empty_experts", 5, 8, 32, 32, 1});
  add({"one_expert_all", 23, 4, 48, 64, 2, Routing::OneExpert});
  add({"skip_expert", 29, 4, 32, 64, 2, Routing::Skip});
  add({"top4", 9, 8, 32, 48, 4});
  add({"top8_f16", 6, 8, 32, 32, 8, Routing::Random, false, false, false,
       "f16", "f16"});
  add({"weights", 21, 4, 40, 64, 2, Routing::Random, false, true});
  add({"a_per_copy_weights", 11, 4, 32, 64, 2, Routing::Random, false, true,
       true});
  add({"reduce", 19, 4, 32, 64, 2, Routing::Random, true});
  add({"reduce_weights_f32", 13, 4, 32, 80, 4, Routing::Skip, true, true,
       false, "bf16", "f32"});
  add({"reduce_f16_per_copy", 17, 4, 32, 64, 2, Routing::Random, true, true,
       true, "f16", "f16"});
  // Quantized: fp8_w8a8 (gfx942 fnuz, gfx950 and the host OCP; gfx90a has
  // no fp8) and int8_w8a16.
  MoeCase fp8t{"fp8_tensor_expert", 21, 4, 32, 64, 2};
  fp8t.quant = Quant::Fp8Tensor;
  add(fp8t);
  MoeCase fp8c{"fp8_token_channel_reduce_weights", 19, 4, 48, 96, 2,
               Routing::Skip, true, true, true};
  fp8c.quant = Quant::Fp8Token;
  add(fp8c);
  MoeCase fp8lds = fp8t;
  fp8lds.name = "fp8_token_channel_lds_nk32";
  fp8lds.quant = Quant::Fp8Token;
  fp8lds.blockM = 32;
  fp8lds.config = "block_m = 32, block_n = 32, block_k = 64, num_warps = 1, "
                  "matrix_instr_nonkdim = 32, epilogue = lds";
  add(fp8lds);
  // Block-wise: K groups of 64 over block_k 32 (two tiles a group), N
  // groups of 32, a K edge (K = 160: the last group is half full).
  MoeCase fp8b{"fp8_block", 21, 4, 64, 160, 2};
  fp8b.quant = Quant::Fp8Block;
  add(fp8b);
  MoeCase fp8br{"fp8_block_reduce_stages3_lds", 15, 4, 48, 128, 2,
                Routing::Skip, true, true, true};
  fp8br.quant = Quant::Fp8Block;
  fp8br.config = "block_m = 16, block_n = 32, block_k = 32, num_warps = 2, "
                 "num_stages = 3, epilogue = lds";
  add(fp8br);
  MoeCase i8{"int8_channel", 23, 4, 40, 80, 2};
  i8.quant = Quant::Int8Channel;
  add(i8);
  MoeCase i8r{"int8_channel_reduce_f16", 17, 4, 32, 64, 4, Routing::Random,
              true, true, false, "f16", "f32"};
  i8r.quant = Quant::Int8Channel;
  add(i8r);
  MoeCase i8s = i8;
  i8s.name = "int8_stages3_lds";
  i8s.config = "block_m = 16, block_n = 32, block_k = 32, num_warps = 2, "
               "num_stages = 3, epilogue = lds";
  add(i8s);
  // The epilogue through LDS and the pipeline variants.
  MoeCase lds{"lds_epilogue", 27, 4, 64, 64, 2};
  lds.config = "block_m = 16, block_n = 32, block_k = 32, num_warps = 2, "
               "epilogue = lds";
  add(lds);
  MoeCase ldsReduce = lds;
  ldsReduce.name = "lds_epilogue_reduce_weights";
  ldsReduce.reduce = ldsReduce.weights = true;
  add(ldsReduce);
  for (int stages : {1, 3}) {
    MoeCase s{stages == 1 ? "stages1" : "stages3", 26, 4, 32, 128, 2};
    s.config = stages == 1 ? "block_m = 16, block_n = 32, block_k = 32, "
                             "num_warps = 2, num_stages = 1"
                           : "block_m = 16, block_n = 32, block_k = 32, "
                             "num_warps = 2, num_stages = 3";
    add(s);
  }
  // Leading dimensions that are multiples of 16 bytes, promised.
  MoeCase aligned{"assume_aligned_lds_reduce", 33, 4, 64, 96, 2,
                  Routing::Random, true, true};
  aligned.config = "block_m = 16, block_n = 32, block_k = 32, num_warps = 2, "
                   "assume_aligned = true, epilogue = lds, group_m = 1";
  add(aligned);
  MoeCase big{"block32_nk32_kpack2", 45, 4, 64, 128, 2};
  big.blockM = 32;
  big.config = "block_m = 32, block_n = 64, block_k = 64, num_warps = 2, "
               "matrix_instr_nonkdim = 32, kpack = 2, group_m = 4";
  add(big);
  // Gated activations (the w13 projection fused with silu_and_mul /
  // gelu_and_mul): N/2 = 40 leaves the last workgroup's halves partly
  // outside; the scales pair per-channel b_scale / N groups with the gate
  // and up rows they belong to.
  MoeCase silu{"gated_silu_weights", 31, 4, 80, 96, 2, Routing::Skip, false,
               true};
  silu.act = "silu";
  add(silu);
  MoeCase gelu{"gated_gelu_f16_f32", 19, 4, 64, 64, 2, Routing::Random, false,
               false, false, "f16", "f32"};
  gelu.act = "gelu";
  add(gelu);
  MoeCase siluLds{"gated_silu_stages3_nk32", 27, 4, 128, 128, 2};
  siluLds.act = "silu";
  siluLds.blockM = 32;
  siluLds.config = "block_m = 32, block_n = 64, block_k = 32, num_warps = 2, "
                   "num_stages = 3, matrix_instr_nonkdim = 32, group_m = 2";
  add(siluLds);
  MoeCase fp8g{"gated_silu_fp8_token_channel", 21, 4, 48, 64, 2};
  fp8g.quant = Quant::Fp8Token;
  fp8g.act = "silu";
  add(fp8g);
  MoeCase fp8bg{"gated_gelu_fp8_block", 17, 4, 128, 128, 2, Routing::Random,
                false, true};
  fp8bg.quant = Quant::Fp8Block;
  fp8bg.act = "gelu";
  add(fp8bg);
  // MXFP4 weights (dequantized to bf16 on their way to LDS): K past the
  // last block_k tile (96 over 64), M = 1, top-k 1 and 4, empty and
  // skipped experts, the down projection's reduce, the gated w13, the
  // pipeline variants and the 32-wide MFMA.
  auto mxfp4 = [&](MoeCase c) {
    c.quant = Quant::Mxfp4;
    add(c);
  };
  MoeCase mx{"mxfp4_top4_k_edge", 23, 4, 40, 96, 4};
  mx.config = "block_m = 16, block_n = 32, block_k = 64, num_warps = 2";
  mxfp4(mx);
  mxfp4({"mxfp4_tokens1_top1", 1, 8, 32, 64, 1});
  mxfp4({"mxfp4_one_expert", 13, 4, 48, 64, 2, Routing::OneExpert});
  mxfp4({"mxfp4_skip_reduce_per_copy_weights", 17, 4, 32, 128, 4,
         Routing::Skip, true, true, true});
  MoeCase mxg{"mxfp4_gated_silu_weights", 21, 4, 80, 64, 2, Routing::Random,
              false, true};
  mxg.act = "silu";
  mxfp4(mxg);
  MoeCase mxs{"mxfp4_stages3_lds", 19, 4, 64, 160, 2};
  mxs.config = "block_m = 16, block_n = 32, block_k = 32, num_warps = 2, "
               "num_stages = 3, epilogue = lds";
  mxfp4(mxs);
  MoeCase mxb{"mxfp4_block32_nk32_kpack2_stages1", 45, 4, 64, 128, 2};
  mxb.blockM = 32;
  mxb.config = "block_m = 32, block_n = 64, block_k = 64, num_warps = 2, "
               "matrix_instr_nonkdim = 32, kpack = 2, num_stages = 1";
  mxfp4(mxb);
  // block_k a multiple of 128 (nonkdim 16) or 64 (32): gfx950 runs W's
  // scales on the scaled MFMA (v_mfma_scale_f32_*_f8f6f4, A split into
  // MXFP8 hi + lo); the other targets dequantize as above. K = 192 leaves
  // the second 128-wide K tile half outside.
  MoeCase mxn{"mxfp4_bk128_k_edge_top4", 23, 4, 64, 192, 4};
  mxn.config = "block_m = 16, block_n = 32, block_k = 128, num_warps = 2";
  mxfp4(mxn);
  MoeCase mxng{"mxfp4_bk128_gated_silu_reduce_skip", 19, 4, 96, 256, 2,
               Routing::Skip, false, true};
  mxng.act = "silu";
  mxng.config = "block_m = 16, block_n = 32, block_k = 128, num_warps = 1, "
                "epilogue = lds";
  mxfp4(mxng);
  MoeCase mxnr{"mxfp4_bk64_nk32_reduce_per_copy", 29, 8, 64, 128, 4,
               Routing::Random, true, true, true};
  mxnr.blockM = 32;
  mxnr.config = "block_m = 32, block_n = 32, block_k = 64, num_warps = 1, "
                "matrix_instr_nonkdim = 32, num_stages = 3";
  mxfp4(mxnr);
  return v;
}

class MoeGemm : public ::testing::TestWithParam<MoeCase> {};

TEST_P(MoeGemm, Host) { runCase(GetParam(), "host"); }

TEST_P(MoeGemm, EmulatedGfx942) { runCase(GetParam(), "gfx942"); }

TEST_P(MoeGemm, EmulatedGfx90a) { runCase(GetParam(), "gfx90a"); }

TEST_P(MoeGemm, EmulatedGfx950) {
  // gfx950's MFMA operands are K-packed already: kpack is 1 there.
  MoeCase c = GetParam();
  std::string config = c.config;
  if (size_t at = config.find("kpack = 2"); at != std::string::npos)
    config.replace(at, 9, "kpack = 1");
  c.config = config.c_str();
  runCase(c, "gfx950");
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MoeGemm, ::testing::ValuesIn(cases()),
    [](const ::testing::TestParamInfo<MoeCase> &info) {
      return std::string(info.param.name);
    });

} // namespace
