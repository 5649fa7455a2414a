//===- QuantFp8Test.cpp - the moec.quant_fp8 kernel, bit-exact ------------===//
//
// quant_fp8's kernel on the host device and on the gfx942 / gfx950 emulator
// against a reference encoder (the nearest finite value of the format to
// clamp(x / scale, +-max), ties to the even code; OCP formats keep the sign
// of zero, fnuz ones have no negative zero): a static scale of 1 over every
// code, every midpoint between neighbouring codes and its two f32
// neighbours, values past the largest finite one and below the smallest
// subnormal, for e4m3fn, e4m3fnuz, e5m2 and e5m2fnuz; then computed scales
// per token, per [1, group_k] block (a partial last block) and per tensor,
// scales and bytes compared exactly (the kernel and the reference compute
// max(amax, 1e-10) / max and x / scale in f32).
//
//===----------------------------------------------------------------------===//

#include "moec/Dialect/MoecDialect.h"
#include "moec/Dialect/OpPlans.h"
#include "moec/Driver/Compiler.h"
#include "moec/Tools/Registration.h"

#include "KernelRunner.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

using namespace mlir;
using namespace moec;

namespace {

struct Format {
  const char *type;
  int mb, bias;
  bool fnuz;
  int maxCode; ///< the largest finite positive code
};
const Format kE4m3fn{"f8E4M3FN", 3, 7, false, 0x7E};
const Format kE4m3fnuz{"f8E4M3FNUZ", 3, 8, true, 0x7F};
const Format kE5m2{"f8E5M2", 2, 15, false, 0x7B};
const Format kE5m2fnuz{"f8E5M2FNUZ", 2, 16, true, 0x7F};

double decode(const Format &f, int code) {
  int e = (code & 0x7F) >> f.mb, m = code & ((1 << f.mb) - 1);
  double v = e ? std::ldexp(1.0 + std::ldexp(m, -f.mb), e - f.bias)
               : std::ldexp(m, 1 - f.bias - f.mb);
  return (code & 0x80) ? -v : v;
}

/// The byte quant_fp8 must store for y (already divided by the scale).
uint8_t encode(const Format &f, float y) {
  double maxV = decode(f, f.maxCode);
  double a = std::min<double>(std::fabs(y), maxV);
  int best = 0;
  double bestD = 1e300;
  for (int c = 0; c <= f.maxCode; ++c) {
    double d = std::fabs(decode(f, c) - a);
    if (d < bestD || (d == bestD && (c & 1) == 0)) {
      best = c;
      bestD = d;
    }
  }
  bool neg = std::signbit(y);
  if (f.fnuz)
    return static_cast<uint8_t>(best == 0 ? 0 : (best | (neg ? 0x80 : 0)));
  return static_cast<uint8_t>(best | (neg ? 0x80 : 0));
}

using moec::test::Arg;

/// Compiles `quant_fp8 x -> q, s {attrs}` for `chip` and runs it.
std::string run(llvm::StringRef chip, const Format &f, int64_t rows,
                int64_t cols, const std::string &scaleType,
                const std::string &attrs, std::vector<float> &x,
                std::vector<uint8_t> &q, std::vector<float> &s,
                const std::vector<int64_t> &scaleSizes) {
  std::string text = fmt::format(
      "module attributes {{moec.target = #moec.target<\"{chip}\">}} {{\n"
      "  func.func @q(%x: memref<?x{k}xf32>, %q: memref<?x{k}x{t}>, %s: {st}) "
      "{{\n"
      "    moec.quant_fp8 %x -> %q, %s {{{attrs}config = #moec.config<>}} : "
      "memref<?x{k}xf32> -> memref<?x{k}x{t}>, {st}\n"
      "    return\n  }}\n}}\n",
      fmt::arg("chip", chip.str()), fmt::arg("k", cols),
      fmt::arg("t", f.type), fmt::arg("st", scaleType),
      fmt::arg("attrs", attrs));
  DialectRegistry registry;
  registerMoecDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    diagnostics += d.str() + "\n";
    return success();
  });
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &ctx);
  if (!module)
    return "parse/verify error: " + diagnostics;
  QuantFp8Op op;
  module->walk([&](QuantFp8Op o) { op = o; });
  QuantFp8Plan plan = getQuantFp8Plan(op, *lookupTarget(chip));
  bool host = chip == "host";
  FailureOr<CompiledModule> compiled = compileModule(
      *module, host ? CompileStop::Loadable : CompileStop::LaneLevel);
  if (failed(compiled))
    return "compile error: " + diagnostics;
  return moec::test::runKernel(
      *module, *compiled, chip, plan.gridSize(rows, cols), plan.lanes,
      {Arg{x.data(), x.size() * 4, {rows, cols}},
       Arg{q.data(), q.size(), {rows, cols}},
       Arg{s.data(), s.size() * 4, scaleSizes}});
}

struct Chip {
  const char *name;
  std::vector<const Format *> formats;
};

class QuantFp8Test : public ::testing::TestWithParam<Chip> {};

TEST_P(QuantFp8Test, StaticScaleRoundsEveryCodeAndMidpoint) {
  const Chip &chip = GetParam();
  for (const Format *f : chip.formats) {
    std::vector<float> x;
    for (int c = 0; c <= f->maxCode; ++c) {
      float v = static_cast<float>(decode(*f, c));
      x.push_back(v);
      if (c < f->maxCode) {
        float mid = static_cast<float>(
            (decode(*f, c) + decode(*f, c + 1)) / 2); // exact in f32
        x.push_back(mid);
        x.push_back(std::nextafter(mid, 0.0f));
        x.push_back(std::nextafter(mid, 1e30f));
      }
    }
    float maxV = static_cast<float>(decode(*f, f->maxCode));
    for (float v : {maxV * 1.01f, maxV * 4.0f, 1e30f, 1e-30f, 0.0f,
                    static_cast<float>(decode(*f, 1) / 2),
                    static_cast<float>(decode(*f, 1) / 3)})
      x.push_back(v);
    size_t n = x.size();
    for (size_t i = 0; i < n; ++i)
      x.push_back(-x[i]);
    int64_t cols = 16, rows = (static_cast<int64_t>(x.size()) + cols - 1) / cols;
    x.resize(rows * cols, 0.5f);
    std::vector<uint8_t> q(rows * cols, 0xAA);
    std::vector<float> s = {1.0f};
    std::string err = run(chip.name, *f, rows, cols, "memref<f32>",
                          "static_scale, ", x, q, s, {});
    ASSERT_EQ(err, "") << f->type;
    int bad = 0;
    for (size_t i = 0; i < x.size() && bad < 8; ++i) {
      uint8_t want = encode(*f, x[i]);
      if (q[i] != want) {
        ++bad;
        ADD_FAILURE() << chip.name << " " << f->type << ": x = " << x[i]
                      << " gave 0x" << std::hex << int(q[i]) << ", want 0x"
                      << int(want) << std::dec;
      }
    }
  }
}

TEST_P(QuantFp8Test, ComputedScalesPerTokenGroupAndTensor) {
  const Chip &chip = GetParam();
  const Format &f = *chip.formats.front();
  float fmax = static_cast<float>(decode(f, f.maxCode));
  int64_t rows = 5, cols = 200, gk = 64, groups = 4; // last group: 8 columns
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> x(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      x[r * cols + c] = u(rng) * static_cast<float>(1 + r * 3 + c % 5);
  for (int64_t c = 0; c < cols; ++c) // an all-zero row: amax 0 -> 1e-10
    x[2 * cols + c] = 0.0f;
  struct Mode {
    const char *name, *scaleType, *attrs;
    std::vector<int64_t> sizes;
    int64_t width; // columns per scale; 0: the whole tensor
  };
  for (const Mode &m :
       {Mode{"per token", "memref<?xf32>", "", {rows}, cols},
        Mode{"per token [M, 1]", "memref<?x1xf32>", "", {rows, 1}, cols},
        Mode{"per [1, 64]", "memref<?x4xf32>", "group_k = 64 : i64, ",
             {rows, groups}, gk},
        Mode{"per tensor", "memref<1xf32>", "", {1}, 0}}) {
    std::vector<uint8_t> q(rows * cols, 0xAA);
    size_t ns = 1;
    for (int64_t d : m.sizes)
      ns *= d;
    std::vector<float> s(ns, -1.0f);
    std::string err =
        run(chip.name, f, rows, cols, m.scaleType, m.attrs, x, q, s, m.sizes);
    ASSERT_EQ(err, "") << m.name;
    // Reference scales, in f32 as the kernel computes them.
    auto scaleOf = [&](int64_t r, int64_t c) -> std::pair<float, size_t> {
      int64_t r0 = r, r1 = r + 1, c0 = 0, c1 = cols;
      size_t idx = r;
      if (m.width == 0) {
        r0 = 0, r1 = rows, idx = 0;
      } else if (m.width < cols) {
        c0 = c / gk * gk, c1 = std::min(cols, c0 + gk);
        idx = r * groups + c / gk;
      }
      float amax = 0;
      for (int64_t i = r0; i < r1; ++i)
        for (int64_t j = c0; j < c1; ++j)
          amax = std::max(amax, std::fabs(x[i * cols + j]));
      return {std::max(amax, 1e-10f) / fmax, idx};
    };
    int bad = 0;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols && bad < 8; ++c) {
        auto [sc, idx] = scaleOf(r, c);
        if (s[idx] != sc) {
          ++bad;
          ADD_FAILURE() << m.name << ": scale " << idx << " is " << s[idx]
                        << ", want " << sc;
        }
        uint8_t want = encode(f, x[r * cols + c] / sc);
        if (q[r * cols + c] != want) {
          ++bad;
          ADD_FAILURE() << m.name << ": [" << r << ", " << c << "] gave 0x"
                        << std::hex << int(q[r * cols + c]) << ", want 0x"
                        << int(want) << std::dec;
        }
      }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Targets, QuantFp8Test,
    ::testing::Values(Chip{"host", {&kE4m3fn, &kE4m3fnuz, &kE5m2, &kE5m2fnuz}},
                      Chip{"gfx942", {&kE4m3fnuz, &kE5m2fnuz}},
                      Chip{"gfx950", {&kE4m3fn, &kE5m2}}),
    [](const ::testing::TestParamInfo<Chip> &info) {
      return std::string(info.param.name);
    });

} // namespace
