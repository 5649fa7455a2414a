//===- Registration.h - dialects and passes moec tools load -----*- C++ -*-===//
#ifndef MOEC_TOOLS_REGISTRATION_H
#define MOEC_TOOLS_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace moec {

/// Registers the moec dialect and the upstream dialects moec lowers through
/// (func, arith, memref, scf, vector, gpu, amdgpu, rocdl, nvgpu, nvvm, llvm).
/// Only these: registering everything would drag every MLIR dialect into the
/// statically linked tools.
void registerMoecDialects(mlir::DialectRegistry &registry);

/// Registers moec's passes and the upstream passes its pipelines use.
void registerAllMoecPasses();

} // namespace moec

#endif // MOEC_TOOLS_REGISTRATION_H
