//===- SparseMlaConfig.cpp - configs of sparse MLA decode per shape -------===//

#include "moec/Tuning/SparseMlaConfig.h"

#include "llvm/Support/MathExtras.h"

#include <fmt/format.h>

#include <set>

using namespace moec::tuning;
using llvm::StringRef;

namespace {

constexpr int64_t kAny = -1;

const std::vector<SparseMlaTableRow> &rows() {
  static const std::vector<SparseMlaTableRow> table = [] {
    std::vector<SparseMlaTableRow> t;
#define ANY kAny
#define MOEC_MLA_ROW(target, hqLo, hqHi, topkLo, topkHi, tokLo, tokHi,        \
                     regime, bh, bkv, warps, stages, splits, wpe, nonk, src)   \
  t.push_back(SparseMlaTableRow{target, hqLo, hqHi, topkLo, topkHi, tokLo,     \
                                tokHi, regime, bh, bkv, warps, stages, splits, \
                                wpe, nonk, src, static_cast<int>(t.size())});
#include "SparseMlaConfigs.def"
#undef ANY
    return t;
  }();
  return table;
}

bool within(int64_t v, int64_t lo, int64_t hi) {
  return (lo == kAny || v >= lo) && (hi == kAny || v <= hi);
}

std::string range(int64_t lo, int64_t hi) {
  if (lo == kAny && hi == kAny)
    return "any";
  if (hi == kAny)
    return fmt::format("{}+", lo);
  if (lo == kAny)
    return fmt::format("<={}", hi);
  return lo == hi ? fmt::format("{}", lo) : fmt::format("{}-{}", lo, hi);
}

bool holds(const SparseMlaTableRow &r, const SparseMlaShape &s) {
  bool tokensOk = s.tokens < 0 ? r.tokensMax == kAny
                               : within(s.tokens, r.tokensMin, r.tokensMax);
  return tokensOk && within(s.hQ, r.hQMin, r.hQMax) &&
         within(s.topk, r.topkMin, r.topkMax);
}

} // namespace

Candidate SparseMlaTableRow::candidate() const {
  Candidate c;
  c.blockH = blockH;
  c.blockKV = blockKV;
  c.numWarps = numWarps;
  c.numStages = numStages;
  c.kvSplits = kvSplits;
  c.wavesPerEU = wavesPerEU;
  c.nonKDim = nonKDim;
  return c;
}

std::string SparseMlaTableRow::describe() const {
  return fmt::format("{} h_q {} topk {} tokens {} ({})", target,
                     range(hQMin, hQMax), range(topkMin, topkMax),
                     range(tokensMin, tokensMax), regime);
}

std::string SparseMlaTableRow::defLine() const {
  auto v = [](int64_t x) {
    return x == kAny ? std::string("ANY") : std::to_string(x);
  };
  return fmt::format(
      "MOEC_MLA_ROW(\"{}\", {}, {}, {}, {}, {}, {}, \"{}\",\n             {}, "
      "{}, {}, {}, {}, {}, {}, \"{}\")",
      target, v(hQMin), v(hQMax), v(topkMin), v(topkMax), v(tokensMin),
      v(tokensMax), regime, blockH, blockKV, numWarps, numStages, kvSplits,
      wavesPerEU, nonKDim, source);
}

llvm::ArrayRef<SparseMlaTableRow> moec::tuning::sparseMlaTable() {
  return rows();
}

const SparseMlaTableRow &
moec::tuning::lookupSparseMlaTable(StringRef chip, const SparseMlaShape &shape) {
  for (const SparseMlaTableRow &r : rows())
    if (chip == r.target && holds(r, shape))
      return r;
  for (const SparseMlaTableRow &r : rows())
    if (StringRef(r.target) == "*" && holds(r, shape))
      return r;
  // The "*" rows cover every shape; a table edited into a gap still gets an
  // answer: the last row.
  return rows().back();
}

ConfigFileKey moec::tuning::sparseMlaFileKey(int64_t hQ, int64_t topk,
                                             int64_t dQK, int64_t dV,
                                             StringRef device,
                                             StringRef dtype) {
  ConfigFileKey key;
  key.op = "sparse_mla";
  key.dims = {{"h_q", hQ}, {"topk", topk}, {"d_qk", dQK}, {"d_v", dV}};
  key.deviceName = fileDeviceName(device);
  key.dtype = dtype.str();
  return key;
}

std::string moec::tuning::typicalDeviceName(StringRef chip) {
  if (chip == "sm_90")
    return "NVIDIA H100 80GB HBM3";
  if (chip == "sm_80")
    return "NVIDIA A100-SXM4-80GB";
  if (chip == "gfx942")
    return "AMD Instinct MI300X";
  if (chip == "gfx950")
    return "AMD Instinct MI355X";
  if (chip == "gfx90a")
    return "AMD Instinct MI250X/MI250";
  return chip.str();
}

SparseMlaChoice moec::tuning::chooseSparseMlaConfig(
    TuningDB *db, StringRef chip, StringRef deviceName, StringRef dtype,
    const SparseMlaShape &shape, int64_t dQK, int64_t dV) {
  SparseMlaChoice choice;
  choice.row = &lookupSparseMlaTable(chip, shape);
  choice.config = choice.row->candidate();
  std::string tableWhy =
      fmt::format("table row {}: {}", choice.row->index, choice.row->describe());
  choice.why = tableWhy;
  // The database is keyed by tokens: an unknown count cannot pick an entry.
  if (!db || db->dirs().empty() || shape.tokens < 0)
    return choice;
  ConfigFileKey key =
      sparseMlaFileKey(shape.hQ, shape.topk, dQK, dV, deviceName, dtype);
  auto r = db->lookupOrReport(key, shape.tokens,
                              "the per-shape table's " + tableWhy);
  if (!r)
    return choice;
  auto cand = fromEntry(r->entry);
  if (!cand) {
    choice.why = fmt::format("{} (tokens = {}) is not a config ({}); {}",
                             r->path, r->matchedKey,
                             llvm::toString(cand.takeError()), tableWhy);
    return choice;
  }
  choice.config = *cand;
  choice.fromDatabase = true;
  choice.path = r->path;
  choice.matchedKey = r->matchedKey;
  choice.why =
      fmt::format("tuning database {} (tokens = {})", r->path, r->matchedKey);
  return choice;
}

std::vector<Candidate> moec::tuning::candidatesForAttention(
    const SearchSpace &space, const SparseMlaShape &shape, TargetFamily family,
    int64_t computeUnits, const std::vector<Candidate> &seeds,
    size_t *seedCount, std::map<std::string, int> *dropped) {
  std::vector<Candidate> all = space.enumerate();
  int64_t minBH = INT64_MAX, minBKV = INT64_MAX;
  for (const std::vector<Candidate> *list :
       {static_cast<const std::vector<Candidate> *>(&space.seeds),
        static_cast<const std::vector<Candidate> *>(&all)})
    for (const Candidate &c : *list) {
      minBH = std::min(minBH, c.blockH);
      minBKV = std::min(minBKV, c.blockKV);
    }
  const int64_t topkCeil =
      shape.topk <= 1 ? 1 : int64_t(llvm::PowerOf2Ceil(shape.topk));
  std::vector<Candidate> out;
  std::set<std::string> seen;
  size_t leading = 0;
  auto consider = [&](const Candidate &c, bool isSeed, bool fromSeeds) {
    const char *why = nullptr;
    if (!isSeed && c.blockH > shape.hQ && c.blockH != minBH)
      why = "block_h over h_q";
    else if (!isSeed && c.blockKV > topkCeil && c.blockKV != minBKV)
      why = "block_kv over topk";
    else if (family == TargetFamily::AMD && c.nonKDim > c.blockH)
      why = "mfma wider than block_h";
    if (why) {
      if (dropped)
        ++(*dropped)[why];
      return;
    }
    // The splits a launch uses: 1 when the grid fills the device, else at
    // most what fills it and at most the KV blocks.
    Candidate folded = c;
    int64_t groups =
        std::max<int64_t>(shape.tokens, 1) *
        ((std::max<int64_t>(shape.hQ, 1) + c.blockH - 1) / c.blockH);
    int64_t blocks =
        (std::max<int64_t>(shape.topk, 1) + c.blockKV - 1) / c.blockKV;
    int64_t cap = groups >= computeUnits
                      ? 1
                      : std::min((computeUnits + groups - 1) / groups, blocks);
    folded.kvSplits = std::max<int64_t>(1, std::min(c.kvSplits, cap));
    if (!seen.insert(folded.key()).second) {
      if (dropped && !fromSeeds)
        ++(*dropped)["kv_splits folded (the launch would use fewer)"];
      return;
    }
    out.push_back(folded);
    if (fromSeeds)
      ++leading;
  };
  for (const Candidate &c : seeds)
    consider(c, true, true);
  for (const Candidate &c : space.seeds)
    consider(c, true, true);
  for (const Candidate &c : all)
    consider(c, false, false);
  if (seedCount)
    *seedCount = leading;
  return out;
}
