//===- AttentionConfig.h - per-shape configs in moec compile/run -*- C++ -*-===//
//
// `moec compile/run/bench` of a `moec.sparse_attention` whose config neither
// the file nor the command line gives (`#moec.config<>` and no config flag):
// the config for the decode shape (tokens, h_q, topk) comes from the tuning
// database ($MOEC_TUNING_DB) when it has an entry, else from the per-shape
// table (lib/Tuning/SparseMlaConfigs.def). --verbose says which.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TOOLS_MOEC_ATTENTIONCONFIG_H
#define MOEC_TOOLS_MOEC_ATTENTIONCONFIG_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <cstdint>
#include <map>
#include <string>

namespace moec::tool {

/// Sets the config of every sparse_attention of `module` that has the
/// default config (#moec.config<>) for its shape: tokens from the type, else
/// `sizes["tokens"]`, else unknown (the saturated row); topk the same way.
/// `deviceName`: the device whose database files are read (empty: the
/// target's usual device). Says what it chose on stderr when `verbose`.
/// Fails (after a diagnostic at the op) when the chosen config does not
/// verify.
mlir::LogicalResult
chooseAttentionConfigs(mlir::ModuleOp module,
                       const std::map<std::string, int64_t> &sizes,
                       const std::string &deviceName, bool verbose,
                       const char *cmd);

} // namespace moec::tool

#endif // MOEC_TOOLS_MOEC_ATTENTIONCONFIG_H
