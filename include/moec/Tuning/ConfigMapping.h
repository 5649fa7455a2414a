//===- ConfigMapping.h - #moec.config <-> tuning candidates -----*- C++ -*-===//
//
// The one place where a #moec.config and the tuner's Candidate (and so the
// DB entries of SearchSpace.h's toEntry/fromEntry) meet. Lives in MoecCore
// (it needs MLIR); the rest of lib/Tuning does not.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TUNING_CONFIGMAPPING_H
#define MOEC_TUNING_CONFIGMAPPING_H

#include "moec/Dialect/MoecDialect.h"
#include "moec/Tuning/SearchSpace.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"

namespace moec::tuning {

/// The config of a candidate, checked (the diagnostic goes to emitError):
/// null when a parameter is out of its range.
ConfigAttr toConfigAttr(llvm::function_ref<mlir::InFlightDiagnostic()> emitError,
                        mlir::MLIRContext *ctx, const Candidate &c);
/// The candidate of a config; asyncCopy from the module attribute.
Candidate fromConfigAttr(ConfigAttr config, bool asyncCopy = false);
/// Sets the config of every moec op of `module` to `c`, and the module's
/// moec.async_copy to c.asyncCopy. Fails (after a diagnostic) when the
/// config is invalid; the target checks run with mlir::verify afterwards.
mlir::LogicalResult applyCandidate(mlir::ModuleOp module, const Candidate &c);

} // namespace moec::tuning

#endif // MOEC_TUNING_CONFIGMAPPING_H
