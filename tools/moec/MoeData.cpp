//===- MoeData.cpp - inputs and references of moec run for MoE ------------===//

#include "MoeData.h"

#include "moec/Dialect/MoecDialect.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

using namespace moec::tool::moe;
namespace emu = moec::emu;

namespace {
struct RoutingName {
  Routing routing;
  const char *name;
} const kRoutings[] = {{Routing::Uniform, "uniform"},
                       {Routing::Skewed, "skewed"},
                       {Routing::OneExpert, "one-expert"},
                       {Routing::EmptyExperts, "empty-experts"},
                       {Routing::Invalid, "invalid"}};

/// `count` distinct values of [0, n) drawn with the given weights (with
/// repeats only when count > n).
std::vector<int32_t> drawDistinct(int64_t count, const std::vector<double> &w,
                                  std::mt19937_64 &rng) {
  std::vector<int32_t> out;
  std::vector<double> left = w;
  for (int64_t i = 0; i < count; ++i) {
    if (std::all_of(left.begin(), left.end(), [](double x) { return x <= 0; }))
      left = w; // more copies than experts: start over
    std::discrete_distribution<int32_t> pick(left.begin(), left.end());
    int32_t e = pick(rng);
    left[e] = 0;
    out.push_back(e);
  }
  return out;
}
} // namespace

std::optional<Routing> moec::tool::moe::parseRouting(llvm::StringRef name) {
  for (const RoutingName &r : kRoutings)
    if (name == r.name)
      return r.routing;
  return std::nullopt;
}

const char *moec::tool::moe::routingName(Routing routing) {
  for (const RoutingName &r : kRoutings)
    if (r.routing == routing)
      return r.name;
  return "?";
}

std::vector<int32_t> moec::tool::moe::makeTopkIds(Routing routing,
                                                   int64_t tokens, int64_t topK,
                                                   int64_t numExperts,
                                                   std::mt19937_64 &rng) {
  std::vector<double> weights(numExperts, 1.0);
  if (routing == Routing::Skewed)
    for (int64_t e = 0; e < numExperts; ++e)
      weights[e] = 1.0 / std::pow(double(e + 1), 1.2);
  if (routing == Routing::EmptyExperts) {
    // A random quarter of the experts (at least top_k) take every copy.
    std::vector<int64_t> order(numExperts);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    int64_t used = std::min(numExperts, std::max(topK, numExperts / 4));
    for (int64_t i = used; i < numExperts; ++i)
      weights[order[i]] = 0;
  }
  int32_t hot = static_cast<int32_t>(rng() % uint64_t(numExperts));
  std::vector<int32_t> ids;
  ids.reserve(tokens * topK);
  std::uniform_real_distribution<double> coin(0, 1);
  for (int64_t t = 0; t < tokens; ++t) {
    std::vector<double> w = weights;
    int64_t first = 0;
    if (routing == Routing::OneExpert) {
      ids.push_back(hot);
      w[hot] = 0;
      first = 1;
    }
    std::vector<int32_t> row = drawDistinct(topK - first, w, rng);
    // Routers order a token's experts by score, not by id.
    std::shuffle(row.begin(), row.end(), rng);
    for (int32_t e : row) {
      if (routing == Routing::Invalid) {
        double u = coin(rng);
        if (u < 0.15)
          e = -1;
        else if (u < 0.18)
          e = static_cast<int32_t>(numExperts + rng() % 4);
      }
      ids.push_back(e);
    }
  }
  return ids;
}

std::vector<int32_t> moec::tool::moe::makeExpertMap(int64_t numExperts,
                                                     int64_t local,
                                                     std::mt19937_64 &rng) {
  std::vector<int64_t> order(numExperts);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<char> mine(numExperts, 0);
  for (int64_t i = 0; i < std::min(local, numExperts); ++i)
    mine[order[i]] = 1;
  std::vector<int32_t> map(numExperts, -1);
  int32_t next = 0;
  for (int64_t e = 0; e < numExperts; ++e)
    if (mine[e])
      map[e] = next++;
  return map;
}

AlignOutputs moec::tool::moe::alignReference(
    const std::vector<int32_t> &ids, int64_t topK, int64_t numExperts,
    int64_t blockM, const std::vector<int32_t> *expertMap, int64_t sortedSize,
    int64_t blocksSize) {
  (void)topK;
  int64_t copies = static_cast<int64_t>(ids.size());
  std::vector<std::vector<int32_t>> byExpert(numExperts);
  for (int64_t i = 0; i < copies; ++i)
    if (ids[i] >= 0 && ids[i] < numExperts)
      byExpert[ids[i]].push_back(static_cast<int32_t>(i));
  AlignOutputs r;
  r.sorted.assign(sortedSize, -2);
  r.expertIds.assign(blocksSize, -1);
  int64_t pos = 0;
  for (int64_t e = 0; e < numExperts; ++e) {
    int64_t count = static_cast<int64_t>(byExpert[e].size());
    int64_t padded = (count + blockM - 1) / blockM * blockM;
    for (int64_t j = 0; j < padded; ++j)
      r.sorted[pos + j] =
          j < count ? byExpert[e][j] : static_cast<int32_t>(copies);
    for (int64_t b = pos / blockM; b < (pos + padded) / blockM; ++b)
      r.expertIds[b] = expertMap ? (*expertMap)[e] : static_cast<int32_t>(e);
    pos += padded;
  }
  r.npad = static_cast<int32_t>(pos);
  return r;
}

std::string moec::tool::moe::checkAlign(const AlignOutputs &ref,
                                        const AlignOutputs &got,
                                        int64_t blockM, int64_t copies) {
  std::string out;
  int shown = 0;
  auto note = [&](const std::string &s) {
    if (shown++ < 8)
      out += "  " + s + "\n";
  };
  if (got.npad != ref.npad)
    note(fmt::format("num_tokens_post_padded = {}, expected {} (the padded "
                     "counts do not add up)",
                     got.npad, ref.npad));
  for (size_t b = 0; b < ref.expertIds.size(); ++b)
    if (got.expertIds[b] != ref.expertIds[b])
      note(fmt::format("expert_ids[{}] = {}, expected {}{}", b,
                       got.expertIds[b], ref.expertIds[b],
                       int64_t(b) * blockM >= ref.npad
                           ? " (a block past the padded length: -1)"
                           : ""));
  // Within the used length, by expert: what a wrong count, a wrong pad or
  // a wrong order looks like.
  for (int64_t p = 0; p < ref.npad; ++p) {
    if (got.sorted[p] == ref.sorted[p])
      continue;
    int32_t e = ref.expertIds[p / blockM];
    std::string kind = ref.sorted[p] == copies ? "padding"
                       : got.sorted[p] == copies
                           ? "a copy (got padding: a count is short)"
                           : "a copy (out of order or misplaced)";
    note(fmt::format("sorted_token_ids[{}] = {}, expected {} ({} of the "
                     "block of expert {})",
                     p, got.sorted[p], ref.sorted[p], kind, e));
  }
  if (shown > 8)
    out += fmt::format("  ... {} differences in all\n", shown);
  return out;
}

PooledArray PooledArray::random(emu::EK elt, int64_t elems, double lo,
                                double hi, std::mt19937_64 &rng,
                                int64_t maxPool) {
  PooledArray a;
  a.elt = elt;
  a.elems = elems;
  int64_t pool = std::max<int64_t>(1, std::min(elems, maxPool));
  a.bytes.resize(pool * emu::bytesOf(elt));
  a.values.resize(pool);
  // splitmix64 from rng: fast enough for pools of millions.
  uint64_t state = rng();
  for (int64_t i = 0; i < pool; ++i) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    double u = lo + (hi - lo) * double(z >> 11) * 0x1.0p-53;
    uint64_t bits = emu::encode(elt, u);
    std::memcpy(&a.bytes[i * emu::bytesOf(elt)], &bits, emu::bytesOf(elt));
    a.values[i] = emu::decode(elt, bits);
  }
  return a;
}

std::vector<double> moec::tool::moe::decodeAll(emu::EK elt,
                                               const std::vector<uint8_t> &bytes,
                                               int64_t n) {
  std::vector<double> out(n);
  size_t eb = emu::bytesOf(elt);
  for (int64_t i = 0; i < n; ++i) {
    uint64_t bits = 0;
    std::memcpy(&bits, &bytes[i * eb], eb);
    out[i] = emu::decode(elt, bits);
  }
  return out;
}

GemmCheck moec::tool::moe::checkMoeGemm(const GemmRefProblem &p,
                                        const GemmRefInputs &in,
                                        const AlignOutputs &routing,
                                        int64_t blockM,
                                        const std::function<double(int64_t)> &c,
                                        double tolerance,
                                        std::mt19937_64 &rng) {
  int64_t copies = p.tokens * p.topK;
  // Columns of C: N, or N/2 behind a gated activation.
  int64_t outN = p.gateActivation ? p.n / 2 : p.n;
  // The local expert each copy is multiplied with; -1: no block covers it.
  std::vector<int32_t> expertOf(copies, -1);
  for (int64_t b = 0; b * blockM < routing.npad; ++b) {
    int32_t e = routing.expertIds[b];
    if (e < 0)
      continue;
    for (int64_t j = 0; j < blockM; ++j) {
      int32_t s = routing.sorted[b * blockM + j];
      if (s >= 0 && s < copies)
        expertOf[s] = e;
    }
  }
  auto copyRow = [&](int64_t s, std::vector<double> &acc) {
    int32_t e = expertOf[s];
    if (e < 0)
      return;
    int64_t row = p.aPerCopy ? s : s / p.topK;
    double tw = p.hasWeights ? in.topkWeight(s) : 1.0;
    std::vector<double> sums(p.n);
    for (int64_t n = 0; n < p.n; ++n) {
      double sum = 0;
      for (int64_t kk = 0; kk < p.k; ++kk)
        sum += in.a(row, kk) * in.w(e, n, kk);
      sums[n] = sum;
    }
    for (int64_t n = 0; n < outN; ++n)
      acc[n] += tw * (p.gateActivation
                          ? activationRef(p.gateActivation, sums[n]) *
                                sums[outN + n]
                          : sums[n]);
  };
  // Output rows: tokens with reduce, copies without.
  int64_t rows = p.reduce ? p.tokens : copies;
  std::vector<int64_t> pick;
  double perRow = double(p.n) * double(std::max<int64_t>(p.k, 1)) *
                  (p.reduce ? double(p.topK) : 1.0);
  const double budget = 2e8;
  if (double(rows) * perRow <= budget) {
    for (int64_t r = 0; r < rows; ++r)
      pick.push_back(r);
  } else if (rows > 0) {
    int64_t want = std::max<int64_t>(4, int64_t(budget / perRow));
    std::uniform_int_distribution<int64_t> any(0, rows - 1);
    pick = {0, rows - 1};
    while (int64_t(pick.size()) < want)
      pick.push_back(any(rng));
  }
  double maxAbs = 0, maxRef = 0;
  int64_t bad = 0, checked = 0;
  std::vector<double> acc(outN);
  for (int64_t r : pick) {
    std::fill(acc.begin(), acc.end(), 0.0);
    if (p.reduce) {
      for (int64_t j = 0; j < p.topK; ++j)
        copyRow(r * p.topK + j, acc);
    } else {
      if (expertOf[r] < 0)
        continue; // not defined by the op
      copyRow(r, acc);
    }
    ++checked;
    for (int64_t n = 0; n < outN; ++n) {
      double got = c(r * outN + n);
      if (!std::isfinite(got)) {
        ++bad;
        continue;
      }
      maxAbs = std::max(maxAbs, std::abs(got - acc[n]));
      maxRef = std::max(maxRef, std::abs(acc[n]));
    }
  }
  double rel = maxRef > 0 ? maxAbs / maxRef : maxAbs;
  GemmCheck out;
  out.pass = bad == 0 && rel <= tolerance;
  out.summary = fmt::format(
      "checked_rows={} max_abs_err={:.3e} max_rel_err={:.3e} (tolerance "
      "{:.1e}) unwritten_or_nan={}",
      checked, maxAbs, rel, tolerance, bad);
  return out;
}

double moec::tool::moe::activationRef(int act, double x) {
  switch (static_cast<moec::Activation>(act)) {
  case moec::Activation::none:
    return x;
  case moec::Activation::relu:
    return std::max(x, 0.0);
  case moec::Activation::silu:
    return x / (1.0 + std::exp(-x));
  case moec::Activation::gelu:
    return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  case moec::Activation::gelu_tanh:
    return 0.5 * x *
           (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
  }
  return x;
}

GemmCheck moec::tool::moe::checkActAndMul(
    int act, const std::function<double(int64_t)> &in, int64_t rows,
    int64_t n, const std::vector<double> &out, double tolerance) {
  double maxAbs = 0, maxRef = 0;
  int64_t bad = 0, checked = 0, undefined = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j) {
      double g = in(r * 2 * n + j), u = in(r * 2 * n + n + j);
      if (!std::isfinite(g) || !std::isfinite(u)) {
        ++undefined;
        continue;
      }
      double ref = activationRef(act, g) * u;
      double got = out[r * n + j];
      ++checked;
      if (!std::isfinite(got)) {
        ++bad;
        continue;
      }
      maxAbs = std::max(maxAbs, std::abs(got - ref));
      maxRef = std::max(maxRef, std::abs(ref));
    }
  double rel = maxRef > 0 ? maxAbs / maxRef : maxAbs;
  GemmCheck c;
  c.pass = bad == 0 && rel <= tolerance;
  c.summary = fmt::format(
      "checked={} undefined_inputs={} max_abs_err={:.3e} max_rel_err={:.3e} "
      "(tolerance {:.1e}) unwritten_or_nan={}",
      checked, undefined, maxAbs, rel, tolerance, bad);
  return c;
}

double moec::tool::moe::decodeMxfp4(int code, int scale) {
  static const double e2m1[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  if ((scale & 0xFF) == 0xFF)
    return std::numeric_limits<double>::quiet_NaN();
  double v = std::ldexp(e2m1[code & 7], (scale & 0xFF) - 127);
  return code & 8 ? -v : v;
}

double moec::tool::moe::decodeAt(emu::EK elt, const std::vector<uint8_t> &bytes,
                                 int64_t i) {
  size_t eb = emu::bytesOf(elt);
  uint64_t bits = 0;
  std::memcpy(&bits, &bytes[i * eb], eb);
  return emu::decode(elt, bits);
}
