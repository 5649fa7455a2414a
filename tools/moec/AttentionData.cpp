//===- AttentionData.cpp - inputs and reference of moec run for MLA -------===//

#include "AttentionData.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

using namespace moec::tool::attn;

std::optional<IndexPattern> moec::tool::attn::parseIndexPattern(
    llvm::StringRef name) {
  if (name == "random")
    return IndexPattern::Random;
  if (name == "duplicates")
    return IndexPattern::Duplicates;
  if (name == "invalid")
    return IndexPattern::Invalid;
  if (name == "window")
    return IndexPattern::Window;
  return std::nullopt;
}

const char *moec::tool::attn::indexPatternName(IndexPattern p) {
  switch (p) {
  case IndexPattern::Random:
    return "random";
  case IndexPattern::Duplicates:
    return "duplicates";
  case IndexPattern::Invalid:
    return "invalid";
  case IndexPattern::Window:
    return "window";
  }
  return "?";
}

std::vector<int32_t> moec::tool::attn::makeIndices(IndexPattern pattern,
                                                   int64_t tokens, int64_t topk,
                                                   int64_t kvRows,
                                                   int64_t pageSize,
                                                   std::mt19937_64 &rng) {
  std::vector<int32_t> idx(static_cast<size_t>(tokens * topk), -1);
  std::uniform_int_distribution<int64_t> row(0, std::max<int64_t>(kvRows, 1) - 1);
  auto randomRow = [&](int32_t *r, bool holes) {
    for (int64_t j = 0; j < topk; ++j)
      r[j] = holes && rng() % 8 == 0 ? -1 : static_cast<int32_t>(row(rng));
  };
  int64_t pages = std::max<int64_t>(kvRows / pageSize, 1);
  for (int64_t t = 0; t < tokens; ++t) {
    int32_t *r = idx.data() + t * topk;
    switch (pattern) {
    case IndexPattern::Random:
      randomRow(r, true);
      break;
    case IndexPattern::Duplicates: {
      int32_t few[4];
      for (int32_t &f : few)
        f = static_cast<int32_t>(row(rng));
      for (int64_t j = 0; j < topk; ++j)
        r[j] = few[rng() % 4];
      break;
    }
    case IndexPattern::Invalid:
      if (t % 2)
        randomRow(r, false);
      break;
    case IndexPattern::Window: {
      int64_t w = rng() % 4 == 0 ? topk
                                 : 1 + static_cast<int64_t>(rng() % topk);
      // A page table: logical page p of this sequence is physical page
      // table[p]; row = table[pos / pageSize] * pageSize + pos % pageSize.
      std::vector<int64_t> table(static_cast<size_t>(
          (w + pageSize - 1) / pageSize));
      for (int64_t &p : table)
        p = static_cast<int64_t>(rng() % pages);
      for (int64_t j = 0; j < w; ++j)
        r[j] = static_cast<int32_t>(
            std::min(table[j / pageSize] * pageSize + j % pageSize, kvRows - 1));
      break;
    }
    }
  }
  return idx;
}

void moec::tool::attn::referenceRow(
    const Shape &s, const std::function<double(int64_t, int64_t, int64_t)> &q,
    const std::function<double(int64_t, int64_t)> &kv, const int32_t *indices,
    int64_t t, int64_t h, double *out, double &lse) {
  std::vector<double> scores;
  std::vector<int64_t> rows;
  for (int64_t j = 0; j < s.topk; ++j) {
    int64_t r = indices[j];
    if (r < 0 || r >= s.kvRows)
      continue;
    double dot = 0;
    for (int64_t c = 0; c < s.dQK; ++c)
      dot += q(t, h, c) * kv(r, c);
    scores.push_back(s.scale * dot);
    rows.push_back(r);
  }
  std::fill(out, out + s.dV, 0.0);
  if (scores.empty()) {
    lse = -std::numeric_limits<double>::infinity();
    return;
  }
  double m = *std::max_element(scores.begin(), scores.end());
  double l = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    double p = std::exp(scores[i] - m);
    l += p;
    for (int64_t c = 0; c < s.dV; ++c)
      out[c] += p * kv(rows[i], c);
  }
  for (int64_t c = 0; c < s.dV; ++c)
    out[c] /= l;
  lse = m + std::log(l);
}

WindowInputs moec::tool::attn::makeWindowInputs(int64_t tokens, int64_t topk,
                                                int64_t pages,
                                                int64_t pageSize,
                                                std::mt19937_64 &rng) {
  WindowInputs in;
  in.tokens = tokens;
  const int64_t fixed[] = {0, 1, topk - 1, topk, topk + 1, -3, 3 * topk};
  int64_t longest = 1;
  for (int64_t t = 0; t < tokens; ++t) {
    int64_t len = t < int64_t(std::size(fixed))
                      ? fixed[t]
                      : static_cast<int64_t>(rng() % (2 * topk + 1));
    in.seqLens.push_back(static_cast<int32_t>(len));
    longest = std::max(longest, len);
  }
  in.maxBlocks = (longest + pageSize - 1) / pageSize;
  in.blockTable.resize(static_cast<size_t>(tokens * in.maxBlocks));
  for (int32_t &b : in.blockTable)
    b = static_cast<int32_t>(rng() % std::max<int64_t>(pages, 1));
  return in;
}

std::vector<int32_t> moec::tool::attn::windowReference(
    const WindowInputs &in, int64_t topk, int64_t pageSize,
    const std::vector<int32_t> &before) {
  std::vector<int32_t> want = before;
  for (int64_t t = 0; t < in.tokens; ++t) {
    int64_t len = in.seqLens[size_t(t)];
    if (len > topk)
      continue;
    for (int64_t j = 0; j < topk; ++j) {
      int32_t v = -1;
      if (j < len && j / pageSize < in.maxBlocks)
        v = static_cast<int32_t>(
            in.blockTable[size_t(t * in.maxBlocks + j / pageSize)] * pageSize +
            j % pageSize);
      want[size_t(t * topk + j)] = v;
    }
  }
  return want;
}
