//===- AttentionConfig.h - per-shape configs in moec compile/run -*- C++ -*-===//
//
// `moec compile/run/bench` of a `moec.sparse_attention` whose config neither
// the file (no `config` attribute) nor the command line (no config flag)
// gives:
// the config for the decode shape (tokens, h_q, topk) comes from the tuning
// database ($MOEC_TUNING_DB) when it has an entry, else from the per-shape
// table (lib/Tuning/SparseMlaConfigs.def). --verbose says which.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TOOLS_MOEC_ATTENTIONCONFIG_H
#define MOEC_TOOLS_MOEC_ATTENTIONCONFIG_H

#include "mlir/IR/Operation.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <map>
#include <string>

namespace moec::tool {

/// Sets the config of each sparse_attention of `ops` for its decode shape:
/// tokens from the type, else `sizes["tokens"]`, else unknown (the
/// saturated row); h_q and topk the same way.
/// `deviceName`: the device whose database files are read (empty: the
/// target's usual device). Says what it chose on stderr when `verbose`.
/// Fails (after a diagnostic at the op) when the chosen config does not
/// verify.
mlir::LogicalResult
chooseAttentionConfigs(llvm::ArrayRef<mlir::Operation *> ops,
                       const std::map<std::string, int64_t> &sizes,
                       const std::string &deviceName, bool verbose,
                       const char *cmd);

} // namespace moec::tool

#endif // MOEC_TOOLS_MOEC_ATTENTIONCONFIG_H
