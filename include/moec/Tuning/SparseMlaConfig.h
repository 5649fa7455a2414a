//===- SparseMlaConfig.h - configs of sparse MLA decode per shape -*- C++ -*-===//
//
// How the runtime picks the config of a `moec.sparse_attention` for a live
// decode shape (tokens, h_q, topk): the tuning database's entry when one
// exists (files `op=sparse_mla,h_q=..,topk=..,d_qk=..,d_v=..,device_name=..,
// dtype=...json`, keyed by tokens, nearest as vLLM picks M), else the
// heuristic table lib/Tuning/SparseMlaConfigs.def, whose rows per target
// cover the small-batch ramp (split-KV engaged) and the saturated regime
// separately. `moec compile/run/bench` (when neither the command line nor
// the file gives a config) and Jit::sparseMlaDecode use this; `moec tune
// --op attention` writes the database files.
//
// LLVM Support only, like the rest of lib/Tuning.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TUNING_SPARSEMLACONFIG_H
#define MOEC_TUNING_SPARSEMLACONFIG_H

#include "moec/Tuning/SearchSpace.h"
#include "moec/Tuning/TuningDB.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace moec::tuning {

/// One row of SparseMlaConfigs.def. Bounds are inclusive; -1 is "any".
struct SparseMlaTableRow {
  const char *target; ///< a chip, or "*"
  int64_t hQMin, hQMax, topkMin, topkMax, tokensMin, tokensMax;
  const char *regime; ///< "ramp" or "saturated"
  int64_t blockH, blockKV, numWarps, numStages, kvSplits, wavesPerEU, nonKDim;
  const char *source;
  int index; ///< position in the table, from 0

  Candidate candidate() const;
  /// `sm_90 h_q 1-16 topk any tokens 0-8 (ramp)`.
  std::string describe() const;
  /// The row as a MOEC_MLA_ROW(...) line of SparseMlaConfigs.def.
  std::string defLine() const;
};

/// Every row, in table order.
llvm::ArrayRef<SparseMlaTableRow> sparseMlaTable();

/// The decode shape a config is chosen for. tokens < 0: unknown (a
/// dynamic token count at compile time): the target's saturated row.
struct SparseMlaShape {
  int64_t tokens = -1, hQ = 0, topk = 0;
};

/// The first row of the table for `chip` holding the shape (rows of `chip`,
/// then the "*" rows). Never null: the "*" rows cover every shape.
const SparseMlaTableRow &lookupSparseMlaTable(llvm::StringRef chip,
                                              const SparseMlaShape &shape);

/// The database file of a sparse MLA shape: dims h_q, topk, d_qk, d_v; the
/// device name as the driver spells it (spaces become underscores); dtype
/// of q and the KV cache ("bf16").
ConfigFileKey sparseMlaFileKey(int64_t hQ, int64_t topk, int64_t dQK,
                               int64_t dV, llvm::StringRef device,
                               llvm::StringRef dtype);

/// The name of the usual device of a target, as the drivers spell it
/// ("NVIDIA H100 80GB HBM3" for sm_90, "AMD Instinct MI300X" for gfx942):
/// the database file `moec compile` looks for when no device is open.
std::string typicalDeviceName(llvm::StringRef chip);

/// A config chosen for a shape, and why.
struct SparseMlaChoice {
  Candidate config;
  bool fromDatabase = false;
  /// The table row used (also when the database's entry failed to parse).
  const SparseMlaTableRow *row = nullptr;
  std::string path;       ///< database: the file
  int64_t matchedKey = 0; ///< database: the tokens key of the entry used
  /// One line for --verbose and MOEC_LOG: "tuning database FILE (tokens =
  /// 8)" or "table row 2: sm_90 h_q 1-16 ... (ramp)".
  std::string why;
};

/// The database entry (through `db`, null: none) for the shape, else the
/// table row. `problem` fills the file key (d_qk, d_v, dtype, device); a
/// database entry that is not a config is reported in `why` and the table
/// used. `db` misses are reported by TuningDB::lookupOrReport (once per
/// shape) with the table row as the fallback.
SparseMlaChoice chooseSparseMlaConfig(TuningDB *db, llvm::StringRef chip,
                                      llvm::StringRef deviceName,
                                      llvm::StringRef dtype,
                                      const SparseMlaShape &shape,
                                      int64_t dQK, int64_t dV);

/// The candidates `moec tune --op attention` tries for a decode shape on a
/// device of `computeUnits` CUs/SMs: `seeds` first (e.g. the table's row),
/// then the space's seeds and product, each pruned and folded:
/// - block_h over h_q (unless it is the space's smallest block_h): the
///   extra heads are masked work;
/// - block_kv over topk rounded up to a power of two (unless smallest);
/// - AMD: an MFMA family wider than block_h (16 x 16 needs block_h >= 16);
/// - kv_splits folded to what a launch would use
///   (SparseAttentionPlan::kvSplitsFor, restated): 1 when tokens x head
///   groups fill the device, never more than the KV blocks or the splits
///   that fill it; candidates that fold into one are tried once.
/// `seedCount` receives how many seeds lead; `dropped` counts each rule.
std::vector<Candidate> candidatesForAttention(
    const SearchSpace &space, const SparseMlaShape &shape, TargetFamily family,
    int64_t computeUnits, const std::vector<Candidate> &seeds = {},
    size_t *seedCount = nullptr, std::map<std::string, int> *dropped = nullptr);

} // namespace moec::tuning

#endif // MOEC_TUNING_SPARSEMLACONFIG_H
