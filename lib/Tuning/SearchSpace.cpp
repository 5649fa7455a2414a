//===- SearchSpace.cpp - tuning candidates, as data -----------------------===//

#include "moec/Tuning/SearchSpace.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"

#include <set>
#include <fmt/format.h>

#include <algorithm>
#include <array>

using namespace moec::tuning;
using llvm::StringRef;
namespace json = llvm::json;

namespace {
llvm::Error errorf(const std::string &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Every axis: its name and the Candidate field it sets.
struct AxisField {
  const char *name;
  int64_t Candidate::*field;
};
const AxisField kIntAxes[] = {
    {"block_m", &Candidate::blockM},
    {"block_n", &Candidate::blockN},
    {"block_k", &Candidate::blockK},
    {"group_m", &Candidate::groupM},
    {"num_warps", &Candidate::numWarps},
    {"num_stages", &Candidate::numStages},
    {"waves_per_eu", &Candidate::wavesPerEU},
    {"matrix_instr_nonkdim", &Candidate::nonKDim},
    {"kpack", &Candidate::kpack},
    {"block_h", &Candidate::blockH},
    {"block_kv", &Candidate::blockKV},
    {"kv_splits", &Candidate::kvSplits},
};

bool setAxis(Candidate &c, StringRef name, int64_t v) {
  for (const AxisField &a : kIntAxes)
    if (name == a.name) {
      c.*(a.field) = v;
      return true;
    }
  if (name == "epilogue") {
    c.ldsEpilogue = v != 0;
    return true;
  }
  if (name == "async_copy") {
    c.asyncCopy = v != 0;
    return true;
  }
  return false;
}
} // namespace

std::string Candidate::key() const {
  std::string k = fmt::format("m{}n{}k{}g{}w{}s{}e{}i{}p{}", blockM, blockN,
                              blockK, groupM, numWarps, numStages, wavesPerEU,
                              nonKDim, kpack);
  if (blockH != 16 || blockKV != 32 || kvSplits != 1)
    k += fmt::format("h{}v{}", blockH, blockKV);
  if (kvSplits != 1)
    k += fmt::format("x{}", kvSplits);
  k += ldsEpilogue ? ":lds" : ":direct";
  if (asyncCopy)
    k += ":async";
  return k;
}

std::optional<Candidate> Candidate::fromKey(StringRef key) {
  Candidate c;
  llvm::SmallVector<StringRef> parts;
  key.split(parts, ':');
  if (parts.size() < 2)
    return std::nullopt;
  StringRef nums = parts[0];
  static const std::pair<char, int64_t Candidate::*> letters[] = {
      {'m', &Candidate::blockM},    {'n', &Candidate::blockN},
      {'k', &Candidate::blockK},    {'g', &Candidate::groupM},
      {'w', &Candidate::numWarps},  {'s', &Candidate::numStages},
      {'e', &Candidate::wavesPerEU}, {'i', &Candidate::nonKDim},
      {'p', &Candidate::kpack},     {'h', &Candidate::blockH},
      {'v', &Candidate::blockKV},   {'x', &Candidate::kvSplits}};
  while (!nums.empty()) {
    char l = nums.front();
    nums = nums.drop_front();
    size_t len = 0;
    while (len < nums.size() && llvm::isDigit(nums[len]))
      ++len;
    int64_t v;
    if (len == 0 || nums.take_front(len).getAsInteger(10, v))
      return std::nullopt;
    nums = nums.drop_front(len);
    auto it = llvm::find_if(letters, [&](auto &p) { return p.first == l; });
    if (it == std::end(letters))
      return std::nullopt;
    c.*(it->second) = v;
  }
  if (parts[1] != "lds" && parts[1] != "direct")
    return std::nullopt;
  c.ldsEpilogue = parts[1] == "lds";
  for (size_t i = 2; i < parts.size(); ++i) {
    if (parts[i] != "async")
      return std::nullopt;
    c.asyncCopy = true;
  }
  return c;
}

TargetFamily moec::tuning::familyOfChip(StringRef chip) {
  if (chip.starts_with("gfx"))
    return TargetFamily::AMD;
  if (chip.starts_with("sm_"))
    return TargetFamily::NVIDIA;
  return TargetFamily::Host;
}

TuningEntry moec::tuning::toEntry(const Candidate &c, TargetFamily family,
                                  EntryFlavor flavor) {
  TuningEntry e;
  if (flavor == EntryFlavor::Attention) {
    e.set("block_h", c.blockH);
    e.set("block_kv", c.blockKV);
    e.set("num_warps", c.numWarps);
    e.set("num_stages", c.numStages);
    e.set("kv_splits", c.kvSplits);
    if (family == TargetFamily::AMD) {
      e.set("waves_per_eu", c.wavesPerEU);
      e.set("matrix_instr_nonkdim", c.nonKDim);
    }
    return e;
  }
  e.set("BLOCK_SIZE_M", c.blockM);
  e.set("BLOCK_SIZE_N", c.blockN);
  e.set("BLOCK_SIZE_K", c.blockK);
  e.set("GROUP_SIZE_M", c.groupM);
  e.set("num_warps", c.numWarps);
  e.set("num_stages", c.numStages);
  if (family == TargetFamily::AMD) {
    e.set("waves_per_eu", c.wavesPerEU);
    e.set("matrix_instr_nonkdim", c.nonKDim);
    e.set("kpack", c.kpack);
  }
  if (flavor == EntryFlavor::Moec) {
    e.set("epilogue", c.ldsEpilogue ? "lds" : "direct");
    if (family == TargetFamily::NVIDIA)
      e.set("async_copy", c.asyncCopy);
    if (c.blockH != 16 || c.blockKV != 32) {
      e.set("block_h", c.blockH);
      e.set("block_kv", c.blockKV);
    }
  }
  return e;
}

llvm::Expected<Candidate> moec::tuning::fromEntry(const TuningEntry &entry) {
  Candidate c;
  static const std::pair<const char *, int64_t Candidate::*> keys[] = {
      {"BLOCK_SIZE_M", &Candidate::blockM},
      {"BLOCK_SIZE_N", &Candidate::blockN},
      {"BLOCK_SIZE_K", &Candidate::blockK},
      {"GROUP_SIZE_M", &Candidate::groupM},
      {"num_warps", &Candidate::numWarps},
      {"num_stages", &Candidate::numStages},
      {"waves_per_eu", &Candidate::wavesPerEU},
      {"matrix_instr_nonkdim", &Candidate::nonKDim},
      {"kpack", &Candidate::kpack},
      {"block_h", &Candidate::blockH},
      {"block_kv", &Candidate::blockKV},
      {"kv_splits", &Candidate::kvSplits}};
  for (const auto &[k, field] : keys) {
    const json::Value *v = entry.get(k);
    if (!v)
      continue;
    auto i = v->getAsInteger();
    if (!i)
      return errorf(fmt::format("config key \"{}\" is not an integer", k));
    c.*field = *i;
  }
  if (const json::Value *v = entry.get("epilogue")) {
    auto s = v->getAsString();
    if (!s || (*s != "direct" && *s != "lds"))
      return errorf("config key \"epilogue\" is not \"direct\" or \"lds\"");
    c.ldsEpilogue = *s == "lds";
  }
  if (const json::Value *v = entry.get("async_copy")) {
    auto b = v->getAsBoolean();
    if (!b)
      return errorf("config key \"async_copy\" is not a boolean");
    c.asyncCopy = *b;
  }
  return c;
}

std::vector<Candidate> SearchSpace::enumerate() const {
  std::vector<Candidate> out{Candidate{}};
  for (const auto &[name, values] : axes) {
    std::vector<Candidate> next;
    next.reserve(out.size() * values.size());
    for (const Candidate &c : out)
      for (int64_t v : values) {
        Candidate d = c;
        setAxis(d, name, v);
        next.push_back(d);
      }
    out = std::move(next);
  }
  return out;
}

size_t SearchSpace::size() const {
  size_t n = 1;
  for (const auto &a : axes)
    n *= a.second.size();
  return n;
}

llvm::Expected<SearchSpace> SearchSpace::defaults(StringRef op,
                                                  TargetFamily family,
                                                  StringRef size) {
  if (op != "gemm" && op != "moe" && op != "attention")
    return errorf(fmt::format("no default search space for op '{}' (gemm, "
                              "moe, attention)",
                              op.str()));
  if (size != "full" && size != "small")
    return errorf(fmt::format("search space '{}': expected full, small or a "
                              "JSON file",
                              size.str()));
  bool full = size == "full";
  SearchSpace s;
  if (op == "attention") {
    // Sparse MLA decode: the tile (block_h heads x block_kv rows), waves,
    // pipeline depth, split-KV bound; on AMD the occupancy hint (block_h 16
    // only: Q of d_qk 576 lives in 64 KiB of LDS). benchmarks/tune/
    // space_mla_*.json are the files the device scripts use.
    switch (family) {
    case TargetFamily::AMD:
      // block_kv 64 with Q and the KV block in LDS is over 64 KiB.
      s.axes = full ? decltype(s.axes){{"block_h", {16}},
                                       {"block_kv", {16, 32}},
                                       {"num_warps", {4, 8}},
                                       {"num_stages", {1, 2}},
                                       {"waves_per_eu", {0, 1, 2}},
                                       {"kv_splits", {1, 16, 32, 64}}}
                    : decltype(s.axes){{"block_h", {16}},
                                       {"block_kv", {32}},
                                       {"num_warps", {4}},
                                       {"num_stages", {2}},
                                       {"kv_splits", {1, 32}}};
      break;
    case TargetFamily::NVIDIA:
      s.axes = full ? decltype(s.axes){{"block_h", {16, 32, 64}},
                                       {"block_kv", {16, 32, 64}},
                                       {"num_warps", {4, 8}},
                                       {"num_stages", {1, 2, 3}},
                                       {"kv_splits", {1, 8, 16, 32, 64}}}
                    : decltype(s.axes){{"block_h", {16, 64}},
                                       {"block_kv", {32, 64}},
                                       {"num_warps", {4, 8}},
                                       {"num_stages", {1, 2}},
                                       {"kv_splits", {1, 32}}};
      break;
    case TargetFamily::Host:
      s.axes = full ? decltype(s.axes){{"block_h", {16, 32}},
                                       {"block_kv", {16, 32, 64}},
                                       {"num_stages", {1, 2}},
                                       {"kv_splits", {1, 4, 16}}}
                    : decltype(s.axes){{"block_h", {16}},
                                       {"block_kv", {16, 32}},
                                       {"num_stages", {1}},
                                       {"kv_splits", {1, 4}}};
      break;
    }
    return s;
  }
  switch (family) {
  case TargetFamily::AMD:
    // vLLM's ROCm fp16 space (benchmark_moe.py get_rocm_tuning_space), with
    // 8 warps and moec's epilogue choice added.
    s.axes = full ? decltype(s.axes){
                        {"block_m", {16, 32, 64, 128, 256}},
                        {"block_n", {16, 32, 64, 128, 256}},
                        {"block_k", {16, 32, 64, 128, 256}},
                        {"group_m", {1, 4, 8, 16, 32}},
                        {"num_warps", {4, 8}},
                        {"num_stages", {2}},
                        {"waves_per_eu", {0, 1, 2, 4}},
                        {"matrix_instr_nonkdim", {16, 32}},
                        {"kpack", {1, 2}},
                        {"epilogue", {0, 1}}}
                  : decltype(s.axes){{"block_m", {16, 32, 64}},
                                     {"block_n", {32, 64}},
                                     {"block_k", {32, 64}},
                                     {"group_m", {1, 8}},
                                     {"num_warps", {4}},
                                     {"num_stages", {2}},
                                     {"waves_per_eu", {0, 2}},
                                     {"matrix_instr_nonkdim", {16}},
                                     {"kpack", {1}}};
    break;
  case TargetFamily::NVIDIA:
    // vLLM's CUDA space (get_configs_compute_bound), plus the epilogue and
    // cp.async choices.
    s.axes = full ? decltype(s.axes){{"block_m", {16, 32, 64, 128, 256}},
                                     {"block_n", {32, 64, 128, 256}},
                                     {"block_k", {32, 64, 128}},
                                     {"group_m", {1, 8, 16, 32}},
                                     {"num_warps", {4, 8}},
                                     {"num_stages", {2, 3, 4}},
                                     {"epilogue", {0, 1}},
                                     {"async_copy", {0, 1}}}
                  : decltype(s.axes){{"block_m", {32, 64, 128}},
                                     {"block_n", {64, 128}},
                                     {"block_k", {32, 64}},
                                     {"group_m", {8}},
                                     {"num_warps", {4, 8}},
                                     {"num_stages", {2, 3}}};
    // The fixed config list (benchmarks/run_moec_gemm.sh): block_m, block_n,
    // block_k, num_warps, num_stages, async copy.
    for (auto [bm, bn, bk, w, st, async] :
         std::initializer_list<std::array<int64_t, 6>>{
             {128, 128, 32, 4, 2, 0}, {256, 128, 32, 8, 2, 0},
             {128, 128, 32, 4, 3, 0}, {128, 128, 32, 4, 3, 1},
             {128, 128, 64, 4, 3, 1}, {128, 256, 32, 8, 3, 1},
             {256, 128, 64, 8, 3, 1}, {128, 128, 32, 4, 4, 1},
             {16, 64, 128, 4, 2, 0},  {16, 32, 256, 2, 2, 0},
             {16, 64, 128, 4, 4, 1},  {16, 64, 256, 4, 3, 1},
             {16, 32, 256, 2, 4, 1},  {32, 64, 128, 4, 3, 1}}) {
      Candidate c;
      c.blockM = bm, c.blockN = bn, c.blockK = bk, c.numWarps = w;
      c.numStages = st, c.asyncCopy = async != 0;
      s.seeds.push_back(c);
    }
    break;
  case TargetFamily::Host:
    s.axes = full ? decltype(s.axes){{"block_m", {16, 32, 64, 128}},
                                     {"block_n", {16, 32, 64, 128}},
                                     {"block_k", {16, 32, 64}},
                                     {"group_m", {1, 8}},
                                     {"num_warps", {4}},
                                     {"num_stages", {1, 2}},
                                     {"epilogue", {0, 1}}}
                  : decltype(s.axes){{"block_m", {16, 32}},
                                     {"block_n", {16, 32}},
                                     {"block_k", {16, 32}},
                                     {"group_m", {1}},
                                     {"num_warps", {4}},
                                     {"num_stages", {1}}};
    break;
  }
  return s;
}

llvm::Expected<SearchSpace> SearchSpace::fromJson(StringRef text,
                                                  StringRef name) {
  auto v = json::parse(text);
  if (!v)
    return errorf(fmt::format("{}: not JSON: {}", name.str(),
                              llvm::toString(v.takeError())));
  const json::Object *o = v->getAsObject();
  if (!o)
    return errorf(fmt::format("{}: expected an object of axes", name.str()));
  SearchSpace s;
  std::vector<std::string> keys;
  for (const auto &kv : *o)
    keys.push_back(kv.first.str());
  // Enumeration order: the order of kIntAxes, then epilogue, async_copy.
  std::vector<std::string> order;
  for (const AxisField &a : kIntAxes)
    order.push_back(a.name);
  order.push_back("epilogue");
  order.push_back("async_copy");
  for (const std::string &k : keys)
    if (k != "seeds" && !llvm::is_contained(order, k))
      return errorf(fmt::format("{}: unknown axis '{}'; known: {}",
                                name.str(), k, llvm::join(order, ", ")));
  for (const std::string &k : order) {
    const json::Value *axis = o->get(k);
    if (!axis)
      continue;
    const json::Array *arr = axis->getAsArray();
    if (!arr || arr->empty())
      return errorf(fmt::format("{}: axis '{}' is not a non-empty array",
                                name.str(), k));
    std::vector<int64_t> values;
    for (const json::Value &x : *arr) {
      std::optional<int64_t> i = x.getAsInteger();
      if (!i && k == "epilogue" && x.getAsString())
        i = *x.getAsString() == "lds" ? 1 : 0;
      if (!i && x.getAsBoolean())
        i = *x.getAsBoolean() ? 1 : 0;
      if (!i)
        return errorf(fmt::format("{}: axis '{}' holds a non-integer",
                                  name.str(), k));
      values.push_back(*i);
    }
    s.axes.emplace_back(k, std::move(values));
  }
  if (const json::Value *seeds = o->get("seeds")) {
    const json::Array *arr = seeds->getAsArray();
    if (!arr)
      return errorf(fmt::format("{}: \"seeds\" is not an array of configs",
                                name.str()));
    for (size_t i = 0; i < arr->size(); ++i) {
      const json::Object *cfg = (*arr)[i].getAsObject();
      if (!cfg)
        return errorf(fmt::format("{}: seed {} is not an object", name.str(),
                                  i));
      Candidate c;
      for (const auto &kv : *cfg) {
        std::string k = kv.first.str();
        std::optional<int64_t> v = kv.second.getAsInteger();
        if (!v && k == "epilogue" && kv.second.getAsString())
          v = *kv.second.getAsString() == "lds" ? 1 : 0;
        if (!v && kv.second.getAsBoolean())
          v = *kv.second.getAsBoolean() ? 1 : 0;
        if (!v)
          return errorf(fmt::format("{}: seed {}: '{}' is not an integer",
                                    name.str(), i, k));
        if (!setAxis(c, k, *v))
          return errorf(fmt::format("{}: seed {}: unknown parameter '{}'; "
                                    "known: {}",
                                    name.str(), i, k, llvm::join(order, ", ")));
      }
      s.seeds.push_back(c);
    }
  }
  return s;
}

std::vector<Candidate> moec::tuning::candidatesForShape(
    const SearchSpace &space, const GemmShape &shape, TargetFamily family,
    size_t *seedCount, std::map<std::string, int> *dropped) {
  std::vector<Candidate> out = pruneForShape(space.seeds, shape, family);
  std::set<std::string> have;
  for (const Candidate &c : out)
    have.insert(c.key());
  if (seedCount)
    *seedCount = out.size();
  for (const Candidate &c :
       pruneForShape(space.enumerate(), shape, family, dropped))
    if (have.insert(c.key()).second)
      out.push_back(c);
  return out;
}

std::vector<Candidate>
moec::tuning::pruneForShape(const std::vector<Candidate> &cands,
                            const GemmShape &shape, TargetFamily family,
                            std::map<std::string, int> *dropped) {
  if (cands.empty())
    return {};
  int64_t minBM = cands.front().blockM, minBN = cands.front().blockN,
          minBK = cands.front().blockK;
  for (const Candidate &c : cands) {
    minBM = std::min(minBM, c.blockM);
    minBN = std::min(minBN, c.blockN);
    minBK = std::min(minBK, c.blockK);
  }
  const int64_t M = shape.m, N = shape.n, K = shape.k;
  const int64_t mfma = (M < 32 || N < 32) ? 16 : 32;
  const bool large = M >= 2048 && N >= 2048;
  const int64_t kCeil = K <= 1 ? 1 : int64_t(llvm::PowerOf2Ceil(K));
  std::vector<Candidate> kept;
  std::set<std::string> seen;
  for (const Candidate &c : cands) {
    const char *why = nullptr;
    if (family == TargetFamily::AMD && c.nonKDim > mfma)
      why = "mfma wider than the problem";
    else if (family == TargetFamily::AMD &&
             (c.nonKDim > c.blockM || c.nonKDim > c.blockN))
      why = "mfma wider than the tile";
    else if (family == TargetFamily::AMD &&
             ((c.nonKDim >= M && c.blockM != c.nonKDim) ||
              (c.nonKDim >= N && c.blockN != c.nonKDim)))
      why = "tile larger than needed around a small M or N";
    else if ((M * 2 < c.blockM && c.blockM != minBM) ||
             (N * 2 < c.blockN && c.blockN != minBN))
      why = "tile over twice the problem";
    else if (c.blockK > kCeil && c.blockK != minBK)
      why = "K step larger than K";
    else if (large && (c.blockM < 64 || c.blockN < 64 || c.blockK < 32))
      why = "small tile on a large problem";
    else if (family == TargetFamily::NVIDIA &&
             c.blockM * c.blockN >= 256 * 32 * c.numWarps)
      // 256 f32 accumulators per thread or more cannot fit the 255
      // registers a thread has: ptxas spills every such kernel (kilobytes
      // of stack for 256x256 on 4 warps), and they are the slowest to
      // compile (seconds each).
      why = "accumulators over the register file";
    if (why) {
      if (dropped)
        ++(*dropped)[why];
      continue;
    }
    // A group wider than the rows of tiles swizzles nothing: the same kernel
    // as group_m = 1. Fold it into that candidate rather than dropping it, so
    // a space that lists only larger groups still has candidates for small M.
    Candidate folded = c;
    if (folded.groupM != 1 && folded.groupM * folded.blockM > M)
      folded.groupM = 1;
    if (!seen.insert(folded.key()).second) {
      if (dropped)
        ++(*dropped)["group_m folded to 1 (wider than the rows)"];
      continue;
    }
    kept.push_back(folded);
  }
  return kept;
}
