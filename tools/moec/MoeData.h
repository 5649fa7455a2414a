//===- MoeData.h - inputs and references of moec run for MoE ----*- C++ -*-===//
//
// What `moec run` needs to check a MoE function besides launching it:
// routings (topk_ids) of several shapes, expert-parallel maps, pooled random
// arrays (large expert weights without gigabytes of host doubles), the
// reference of moe_align and the float64 reference of moe_gemm.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TOOLS_MOEC_MOEDATA_H
#define MOEC_TOOLS_MOEC_MOEDATA_H

#include "moec/Emulator/Numeric.h"

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace moec::tool::moe {

/// How tokens pick their experts.
enum class Routing {
  Uniform,      ///< top_k distinct experts, uniformly
  Skewed,       ///< distinct experts, Zipf-like popularity (a few hot ones)
  OneExpert,    ///< every token's first copy goes to one expert
  EmptyExperts, ///< only a quarter of the experts (at least top_k) are used
  Invalid,      ///< uniform, with -1 (and out-of-range) ids mixed in
};
std::optional<Routing> parseRouting(llvm::StringRef name);
const char *routingName(Routing r);

/// topk_ids [tokens, top_k], row-major.
std::vector<int32_t> makeTopkIds(Routing routing, int64_t tokens,
                                 int64_t topK, int64_t numExperts,
                                 std::mt19937_64 &rng);
/// An expert-parallel map: `local` experts chosen at random get the local
/// ids 0..local-1 in increasing global order, the others -1.
std::vector<int32_t> makeExpertMap(int64_t numExperts, int64_t local,
                                   std::mt19937_64 &rng);

/// moe_align's outputs, as the op defines them (stable within an expert).
struct AlignOutputs {
  std::vector<int32_t> sorted;    ///< [0, npad) defined
  std::vector<int32_t> expertIds; ///< every entry defined
  int32_t npad = 0;
};
AlignOutputs alignReference(const std::vector<int32_t> &ids, int64_t topK,
                            int64_t numExperts, int64_t blockM,
                            const std::vector<int32_t> *expertMap,
                            int64_t sortedSize, int64_t blocksSize);
/// Compares a kernel's outputs with the reference: the length, each
/// block's expert, and per expert its copies in order and its padding.
/// Returns an empty string when they agree, else what differs (first few).
std::string checkAlign(const AlignOutputs &ref, const AlignOutputs &got,
                       int64_t blockM, int64_t copies);

/// A random array of `elems` elements of kind `elt`, made of a pool of at
/// most `poolElems` random values repeated: element i is pool[i % pool].
/// A pool size prime to the rows keeps experts and rows distinct.
struct PooledArray {
  emu::EK elt = emu::EK::F32;
  int64_t elems = 0;
  std::vector<uint8_t> bytes;  ///< the pool, encoded
  std::vector<double> values;  ///< the pool, decoded

  static PooledArray random(emu::EK elt, int64_t elems, double lo, double hi,
                            std::mt19937_64 &rng,
                            int64_t maxPool = (int64_t(1) << 24) - 3);
  double at(int64_t i) const { return values[i % int64_t(values.size())]; }
  int64_t poolElems() const { return int64_t(values.size()); }
  size_t eltBytes() const { return emu::bytesOf(elt); }
};

/// Decodes `n` elements of kind `elt` from raw bytes.
std::vector<double> decodeAll(emu::EK elt, const std::vector<uint8_t> &bytes,
                              int64_t n);

/// One moe_gemm as the reference sees it.
struct GemmRefProblem {
  int64_t tokens = 0, topK = 1, n = 0, k = 0, experts = 0;
  bool aPerCopy = false, reduce = false;
  bool hasWeights = false;
  /// A gated activation (moec::Activation as int, 0: none): W's rows are
  /// gate [0, n/2) and up [n/2, n); the output is tw * act(gate) * up,
  /// n/2 wide.
  int gateActivation = 0;
};
/// A copy's output row: out(s)[n] for the copy `s` routed to local expert
/// `e`, in float64. `a(row, k)`, `w(e, n, k)`, `tw(s)` read the inputs.
struct GemmRefInputs {
  std::function<double(int64_t, int64_t)> a;
  std::function<double(int64_t, int64_t, int64_t)> w;
  std::function<double(int64_t)> topkWeight;
};

/// Checks C of a moe_gemm against float64 for a sample of its rows (all when
/// small). `c` is C decoded ([tokens, top_k, N] or [tokens, N]); rows whose
/// copy no block covers (dropped ids, skipped experts) are not defined
/// without reduce and are skipped. Returns a one-line summary and whether it
/// passed.
struct GemmCheck {
  bool pass = false;
  std::string summary;
};
GemmCheck checkMoeGemm(const GemmRefProblem &p, const GemmRefInputs &in,
                       const AlignOutputs &routing, int64_t blockM,
                       const std::function<double(int64_t)> &c,
                       double tolerance, std::mt19937_64 &rng);

/// The same with C already decoded.
inline GemmCheck checkMoeGemm(const GemmRefProblem &p, const GemmRefInputs &in,
                              const AlignOutputs &routing, int64_t blockM,
                              const std::vector<double> &c, double tolerance,
                              std::mt19937_64 &rng) {
  return checkMoeGemm(
      p, in, routing, blockM, [&c](int64_t i) { return c[i]; }, tolerance,
      rng);
}

/// An MXFP4 weight: the e2m1 value of `code`'s low 4 bits times
/// 2^(`scale` - 127) (an e8m0 byte; 255 is NaN).
double decodeMxfp4(int code, int scale);

/// Element i of `bytes` holding elements of kind `elt`.
double decodeAt(emu::EK elt, const std::vector<uint8_t> &bytes, int64_t i);

/// act(x) in float64, for each `moec` activation (as Activation.cpp
/// defines them).
double activationRef(int act, double x);

/// Checks act_and_mul's output [rows, n] against act(in[r, j]) * in[r, n + j]
/// from its input [rows, 2n]. Elements whose inputs are not finite (rows a
/// GEMM before it leaves undefined: dropped ids, skipped experts) are not
/// defined and not checked.
GemmCheck checkActAndMul(int act, const std::function<double(int64_t)> &in,
                         int64_t rows, int64_t n, const std::vector<double> &out,
                         double tolerance);

} // namespace moec::tool::moe

#endif // MOEC_TOOLS_MOEC_MOEDATA_H
