//===- SearchSpace.h - tuning candidates, as data ---------------*- C++ -*-===//
//
// A search space is a list of axes (parameter name -> values); its
// candidates are their product. The default spaces per op and target family
// are tables (SearchSpace::defaults), a user's is a JSON file of the same
// shape ({"block_m": [16, 32], ...}). Pruning for a shape follows the rules
// ROCm's GEMM tuning script and vLLM's benchmark_moe.py apply (restated in
// pruneForShape); the verifier (the target checks) and the compiled code
// object's resources prune further, in the tuner.
//
// A Candidate maps to a #moec.config (ConfigMapping.h) and to a DB entry
// (toEntry/fromEntry below): this file and ConfigMapping.cpp are the only
// places that know the spelling of each parameter.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TUNING_SEARCHSPACE_H
#define MOEC_TUNING_SEARCHSPACE_H

#include "moec/Tuning/TuningDB.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace moec::tuning {

/// One point of the space: the fields of #moec.config a tuner varies, plus
/// the NVIDIA-only async copy (a module attribute today).
struct Candidate {
  int64_t blockM = 64, blockN = 64, blockK = 32, groupM = 8, numWarps = 4,
          numStages = 2, wavesPerEU = 0, nonKDim = 16, kpack = 1;
  bool ldsEpilogue = false;
  bool asyncCopy = false;
  // Attention (block_h, block_kv, kv_splits): defaults of #moec.config.
  int64_t blockH = 16, blockKV = 32, kvSplits = 1;

  /// A stable text key, e.g. "m64n64k32g8w4s2e0i16p1:direct"; attention
  /// parameters away from their defaults follow: "h64v32x16" (block_h,
  /// block_kv, kv_splits).
  std::string key() const;
  /// The inverse of key(); nullopt for text that is not one.
  static std::optional<Candidate> fromKey(llvm::StringRef key);
  bool operator==(const Candidate &o) const { return key() == o.key(); }
  bool operator<(const Candidate &o) const { return key() < o.key(); }
};

enum class TargetFamily { AMD, NVIDIA, Host };
TargetFamily familyOfChip(llvm::StringRef chip);

/// Which file a DB entry is for: vLLM/SGLang MoE files carry only the keys
/// those projects pass to their kernel; moec's files carry every parameter.
/// Attention files (op=sparse_mla) carry the attention parameters only.
enum class EntryFlavor { VllmMoe, Moec, Attention };
/// The DB entry of a candidate: BLOCK_SIZE_M/N/K, GROUP_SIZE_M, num_warps,
/// num_stages; on AMD also waves_per_eu, matrix_instr_nonkdim, kpack; moec
/// files also "epilogue" and (NVIDIA) "async_copy".
TuningEntry toEntry(const Candidate &c, TargetFamily family,
                    EntryFlavor flavor);
/// A candidate from a DB entry; missing keys keep the defaults. An error
/// names the key that is not an integer.
llvm::Expected<Candidate> fromEntry(const TuningEntry &entry);

/// The axes of a space, in enumeration order. Axis names: block_m, block_n,
/// block_k, group_m, num_warps, num_stages, waves_per_eu,
/// matrix_instr_nonkdim, kpack, block_h, block_kv, kv_splits, epilogue (0
/// direct, 1 lds), async_copy.
struct SearchSpace {
  std::vector<std::pair<std::string, std::vector<int64_t>>> axes;
  /// Configs known to be good (a fixed config list): tuned first, whether
  /// or not the axes hold them, so that the first pass's cut is tight from
  /// the start and the result is never worse than the best of them (the
  /// tuner times the best seed in its final round). In the JSON file:
  /// "seeds": [{"block_m": 128, "block_n": 128, ...}, ...], absent keys
  /// keep Candidate's defaults (those of #moec.config).
  std::vector<Candidate> seeds;

  /// The product of the axes (absent axes keep Candidate's defaults).
  std::vector<Candidate> enumerate() const;
  size_t size() const;
  /// "full": what the issue asks for; "small": a few dozen, for CI.
  static llvm::Expected<SearchSpace> defaults(llvm::StringRef op,
                                              TargetFamily family,
                                              llvm::StringRef size);
  /// {"block_m": [16, 32], ...}; an error names the file and axis.
  static llvm::Expected<SearchSpace> fromJson(llvm::StringRef text,
                                              llvm::StringRef name);
};

struct GemmShape {
  int64_t m = 0, n = 0, k = 0;
  int64_t elemBytesA = 2, elemBytesB = 2;
};

/// The candidates to tune for a shape, seeds first: the seeds pruned for
/// the shape, then the space's product pruned for the shape less the
/// seeds. `seedCount` (optional) receives how many seeds lead the list.
std::vector<Candidate> candidatesForShape(const SearchSpace &space,
                                          const GemmShape &shape,
                                          TargetFamily family,
                                          size_t *seedCount = nullptr,
                                          std::map<std::string, int> *dropped =
                                              nullptr);

/// Drops candidates that cannot be the best for this shape (our statement
/// of the rules of ROCm's tune_gemm.py and vLLM's prune_rocm_configs):
/// - AMD: an MFMA family wider than the problem (32 needs M and N >= 32), or
///   than the tile; a nonkdim as large as M (or N) unless the tile equals it;
/// - a tile more than twice the problem in M or N, unless it is the space's
///   smallest (so every shape keeps at least one block size);
/// - a K step larger than K rounded up to a power of two (unless smallest);
/// - group_m > 1 when one group of rows already covers M;
/// - large GEMMs (M, N >= 2048): tiles under 64 in M or N, K steps under 32;
/// - NVIDIA: 256 or more f32 accumulators per thread (block_m x block_n over
///   32 x num_warps): more than a thread's 255 registers, a certain spill.
/// `dropped` (optional) counts the candidates each rule removed.
std::vector<Candidate> pruneForShape(const std::vector<Candidate> &cands,
                                     const GemmShape &shape,
                                     TargetFamily family,
                                     std::map<std::string, int> *dropped =
                                         nullptr);

} // namespace moec::tuning

#endif // MOEC_TUNING_SEARCHSPACE_H
