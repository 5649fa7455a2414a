//===- Run.h - moec run / moec bench ----------------------------*- C++ -*-===//
#ifndef MOEC_TOOLS_MOEC_RUN_H
#define MOEC_TOOLS_MOEC_RUN_H

#include "moec/Dialect/MoecDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace moec::tool {

struct RunOptions {
  std::map<std::string, int64_t> sizes; ///< values for dynamic M, N, K
  std::optional<uint64_t> seed;         ///< fresh random inputs when unset
  int deviceIndex = 0;
  bool verbose = false;
  bool bench = false;
  /// Run the lane-level AMD kernel on the CPU emulator (lib/Emulator)
  /// instead of a device.
  bool emulate = false;
  int warmup = 10;
  int repeat = 50;
  std::string jsonOut;     ///< bench: append one JSON line per run here
  std::string configLabel; ///< bench: how to name the config in the JSON
  /// The sparse_attention ops whose config neither the file nor a flag
  /// gives: each takes the config of its decode shape (AttentionConfig.h).
  std::vector<mlir::Operation *> configPerShape;
  /// Sparse attention: how index rows are filled (AttentionData.h).
  std::string indexPattern = "random";
  /// MoE functions: tokens (else --sizes M= or tokens=) and the routing.
  std::optional<int64_t> tokens;
  std::string routing = "uniform";
};

/// The size of a dimension: `fromType` when static (then --sizes must
/// agree), else --sizes `name`=<n>; failure after a message otherwise.
mlir::FailureOr<int64_t> resolveDim(int64_t fromType, const char *name,
                                    const RunOptions &opts);

/// Compiles and launches the file's one moec.gemm, checks it against a
/// float64 reference, and (bench) times it. Returns the process exit code.
int runGemm(mlir::ModuleOp module, const RunOptions &opts);

/// The same for a moec.sparse_attention (AttentionRun.cpp): inputs with
/// --index-pattern, a float64 dense-attention reference over the gathered
/// rows for `out` and `lse`. With `window` (a moec.sparse_window_indices
/// writing the attention's indices before it) the index rows come from the
/// window kernel, run first on generated windows (short, exact, long, empty)
/// and checked exactly.
int runSparseAttention(mlir::ModuleOp module, SparseAttentionOp op,
                       const RunOptions &opts,
                       SparseWindowIndicesOp window = {});
/// A moec.sparse_window_indices alone (AttentionRun.cpp): windows of every
/// kind through a random block table, the indices compared exactly with the
/// reference (identity over short windows, -1 past them, long rows left
/// untouched); bench: the kernel's time and bytes written.
int runSparseWindow(mlir::ModuleOp module, SparseWindowIndicesOp op,
                    const RunOptions &opts);
/// A function of sparse_attention and/or sparse_window_indices: whichever
/// of the two above fits (AttentionRun.cpp).
int runAttentionFunction(mlir::ModuleOp module, const RunOptions &opts);
/// Runs a function of moec.moe_align / moec.moe_gemm ops in order on
/// generated routings and checks every output (MoeRun.cpp).
int runMoe(mlir::ModuleOp module, const RunOptions &opts);

} // namespace moec::tool

#endif // MOEC_TOOLS_MOEC_RUN_H
