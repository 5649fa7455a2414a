//===- WgmmaCore.h - sm_90 warpgroup wgmma core (NVVM internal) -*- C++ -*-===//
#ifndef MOEC_LIB_CONVERSION_NVVM_WGMMACORE_H
#define MOEC_LIB_CONVERSION_NVVM_WGMMACORE_H

#include "moec/Transforms/MatrixCore.h"

namespace moec {

/// The wgmma core for a spec whose plan has `wgmma` (WgmmaCore.cpp);
/// `staging` (the mma.sync core of the same spec) does its global -> LDS
/// async copies. Failure after a diagnostic on `loc`.
mlir::FailureOr<std::unique_ptr<MatrixCore>>
createWgmmaCore(const GemmKernelSpec &spec, mlir::Location loc,
                std::unique_ptr<MatrixCore> staging);

} // namespace moec

#endif // MOEC_LIB_CONVERSION_NVVM_WGMMACORE_H
