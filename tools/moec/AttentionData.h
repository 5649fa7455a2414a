//===- AttentionData.h - inputs and reference of moec run for MLA -*- C++ -*-===//
//
// What `moec run` needs to check a `moec.sparse_attention` function besides
// launching it: index rows of several patterns (random, duplicated rows,
// all-masked rows, short windows through a page table) and the float64
// reference, dense attention over the gathered rows.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TOOLS_MOEC_ATTENTIONDATA_H
#define MOEC_TOOLS_MOEC_ATTENTIONDATA_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <vector>

namespace moec::tool::attn {

/// How the index rows [tokens, topk] are filled.
enum class IndexPattern {
  Random,     ///< uniform rows of the cache, about 1 in 8 entries -1
  Duplicates, ///< rows drawn from 4 rows only: every row many times
  Invalid,    ///< even tokens all -1 (zeros, lse = -inf), odd ones random
  Window,     ///< each token's window of 1 .. topk logical positions
              ///< through a random page table, -1 beyond (the indexer's
              ///< short-window case); about a quarter exactly topk long
};
std::optional<IndexPattern> parseIndexPattern(llvm::StringRef name);
const char *indexPatternName(IndexPattern p);

/// indices [tokens, topk], row-major, into a cache of `kvRows` rows in pages
/// of `pageSize` rows.
std::vector<int32_t> makeIndices(IndexPattern pattern, int64_t tokens,
                                 int64_t topk, int64_t kvRows, int64_t pageSize,
                                 std::mt19937_64 &rng);

struct Shape {
  int64_t tokens = 0, hQ = 0, dQK = 0, dV = 0, topk = 0, kvRows = 0;
  double scale = 1.0;
};

/// The reference of token t, head h: out (dV values) and lse. `q(t, h, c)`
/// and `kv(row, c)` give the (rounded) input values. A row with no valid
/// index gives zeros and lse = -inf.
void referenceRow(const Shape &s,
                  const std::function<double(int64_t, int64_t, int64_t)> &q,
                  const std::function<double(int64_t, int64_t)> &kv,
                  const int32_t *indices, int64_t t, int64_t h, double *out,
                  double &lse);

/// The inputs of `moec.sparse_window_indices` (the window short-circuit):
/// per token its window length and its block table [tokens, maxBlocks].
struct WindowInputs {
  int64_t tokens = 0, maxBlocks = 1;
  std::vector<int32_t> seqLens, blockTable;
};
/// Windows of every kind for `topk`: 0, 1, topk - 1, topk, topk + 1, a
/// negative one, 3 topk, then random ones up to 2 topk (about a third
/// longer than topk), cycled over the tokens; pages drawn from the cache's
/// `pages` pages of `pageSize` rows.
WindowInputs makeWindowInputs(int64_t tokens, int64_t topk, int64_t pages,
                              int64_t pageSize, std::mt19937_64 &rng);
/// What the window kernel leaves in `indices` [tokens, topk] that held
/// `before`: the identity through the block table over a window not longer
/// than topk (block_table[t, j / P] * P + j % P, or -1 for a block past
/// the table), -1 past the window; a longer window's row untouched.
std::vector<int32_t> windowReference(const WindowInputs &in, int64_t topk,
                                     int64_t pageSize,
                                     const std::vector<int32_t> &before);

} // namespace moec::tool::attn

#endif // MOEC_TOOLS_MOEC_ATTENTIONDATA_H
