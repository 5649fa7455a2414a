//===- MoecDialect.cpp - moec dialect and attributes ----------------------===//

#include "moec/Dialect/MoecDialect.h"

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "moec/Dialect/Config.h"
#include "moec/Target/TargetInfo.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace moec;

#include "moec/Dialect/MoecDialect.cpp.inc"
#include "moec/Dialect/MoecEnums.cpp.inc"

namespace moec {
/// Parses an integer config parameter, rejecting the `true`/`false` that
/// AsmParser::parseInteger would accept as -1/0.
static FailureOr<int64_t> parseConfigInteger(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  if (succeeded(parser.parseOptionalKeyword("true")) ||
      succeeded(parser.parseOptionalKeyword("false")))
    return parser.emitError(loc, "expected an integer, not a boolean");
  int64_t value = 0;
  if (parser.parseInteger(value))
    return failure();
  return value;
}

/// Parses a switch of the config: `true` or `false`.
static FailureOr<bool> parseConfigBool(AsmParser &parser) {
  if (succeeded(parser.parseOptionalKeyword("true")))
    return true;
  if (succeeded(parser.parseOptionalKeyword("false")))
    return false;
  return parser.emitError(parser.getCurrentLocation(),
                          "expected `true` or `false`");
}
} // namespace moec

#define GET_ATTRDEF_CLASSES
#include "moec/Dialect/MoecAttrs.cpp.inc"

void MoecDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "moec/Dialect/MoecAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "moec/Dialect/MoecOps.cpp.inc"
      >();
}

LogicalResult MoecDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  // What the kernel outlining records on each kernel it builds.
  if (attr.getName() == kKernelConfigAttrName) {
    if (!isa<ConfigAttr>(attr.getValue()))
      return op->emitError() << "'" << kKernelConfigAttrName
                             << "' must be a #moec.config, not "
                             << attr.getValue();
    return success();
  }
  if (attr.getName() == kKernelLdsBytesAttrName) {
    if (!isa<IntegerAttr>(attr.getValue()))
      return op->emitError() << "'" << kKernelLdsBytesAttrName
                             << "' must be an integer, not " << attr.getValue();
    return success();
  }
  // Before the config held them, two code-generation switches were module
  // attributes; say where they went.
  for (StringRef knob : {"async_copy", "assume_aligned"})
    if (attr.getName().getValue() == ("moec." + knob).str())
      return op->emitError()
             << "'moec." << knob << "' is now a field of #moec.config: write `"
             << knob << " = true` in the op's config (or pass --"
             << (knob == "async_copy" ? "async-copy" : "assume-aligned")
             << ")";
  if (attr.getName() == kKernelDynamicLdsAttrName) {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError() << "'" << kKernelDynamicLdsAttrName
                             << "' must be a unit attribute";
    return success();
  }
  // A tile program (moec-lower-gemm-to-tiles) is a function.
  if (attr.getName() == kTileProgramAttrName) {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError() << "'" << kTileProgramAttrName
                             << "' must be a unit attribute";
    if (!isa<FunctionOpInterface>(op))
      return op->emitError() << "'" << kTileProgramAttrName
                             << "' marks a function, not '" << op->getName()
                             << "'";
    return success();
  }
  // The decisions of the tile passes, each its attribute on its op.
  auto decision = [&](auto kind, StringRef what, StringRef onOp) -> LogicalResult {
    using AttrT = decltype(kind);
    if (!isa<AttrT>(attr.getValue()))
      return op->emitError() << "'" << attr.getName().getValue()
                             << "' must be a " << what << ", not "
                             << attr.getValue();
    if (op->getName().getStringRef() != onOp &&
        !(isa<AccessAttr>(attr.getValue()) &&
          op->getName().getStringRef() == "moec.tile.store"))
      return op->emitError() << "'" << attr.getName().getValue()
                             << "' belongs on '" << onOp << "', not '"
                             << op->getName() << "'";
    return success();
  };
  if (attr.getName() == kCoreAttrName)
    return decision(CoreAttr(), "#moec.core", "moec.tile.dot");
  if (attr.getName() == kPipelineAttrName)
    return decision(PipelineAttr(), "#moec.pipeline", "scf.for");
  if (attr.getName() == kEpilogueAttrName)
    return decision(EpilogueAttr(), "#moec.epilogue", "moec.tile.store");
  if (attr.getName() == kAccessAttrName)
    return decision(AccessAttr(), "#moec.access", "moec.tile.load");
  if (attr.getName() != kTargetAttrName)
    return op->emitError()
           << "unknown moec attribute '" << attr.getName().getValue()
           << "'; known: '" << kTargetAttrName
           << "' (#moec.target<\"chip\">), '" << kKernelConfigAttrName
           << "', '" << kKernelLdsBytesAttrName << "' and '"
           << kKernelDynamicLdsAttrName << "' (set on kernels), '"
           << kTileProgramAttrName << "' (set on tile programs), '"
           << kCoreAttrName << "', '" << kPipelineAttrName << "', '"
           << kEpilogueAttrName << "' and '" << kAccessAttrName
           << "' (the tile passes' decisions)";
  if (!isa<TargetAttr>(attr.getValue()))
    return op->emitError() << "'" << kTargetAttrName
                           << "' must be a #moec.target<\"chip\">, not "
                           << attr.getValue();
  return success();
}

//===----------------------------------------------------------------------===//
// ConfigAttr
//===----------------------------------------------------------------------===//

static LogicalResult checkPow2InRange(function_ref<InFlightDiagnostic()> emitError,
                                      StringRef name, int64_t value,
                                      int64_t lo, int64_t hi) {
  if (value < lo || value > hi || !llvm::isPowerOf2_64(value))
    return emitError() << name << " = " << value
                       << " must be a power of two between " << lo << " and "
                       << hi;
  return success();
}

static LogicalResult checkInRange(function_ref<InFlightDiagnostic()> emitError,
                                  StringRef name, int64_t value, int64_t lo,
                                  int64_t hi) {
  if (value < lo || value > hi)
    return emitError() << name << " = " << value << " must be between " << lo
                       << " and " << hi;
  return success();
}

LogicalResult ConfigAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t blockM, int64_t blockN, int64_t blockK,
                                 int64_t groupM, int64_t numWarps,
                                 int64_t numStages, int64_t wavesPerEU,
                                 int64_t nonKDim, int64_t kpack,
                                 EpilogueKind epilogue, int64_t blockH,
                                 int64_t blockKV, bool asyncCopy,
                                 bool assumeAligned, int64_t kvSplits,
                                 bool /*wgmma: KernelPlan::verifyWgmma*/) {
  if (failed(checkPow2InRange(emitError, "block_m", blockM, 16, 256)) ||
      failed(checkPow2InRange(emitError, "block_n", blockN, 16, 256)) ||
      failed(checkPow2InRange(emitError, "block_k", blockK, 16, 256)) ||
      failed(checkInRange(emitError, "group_m", groupM, 1, 256)) ||
      failed(checkPow2InRange(emitError, "num_warps", numWarps, 1, 32)) ||
      failed(checkInRange(emitError, "num_stages", numStages, 0, 8)) ||
      failed(checkInRange(emitError, "waves_per_eu", wavesPerEU, 0, 16)) ||
      failed(checkPow2InRange(emitError, "block_h", blockH, 16, 128)) ||
      failed(checkPow2InRange(emitError, "block_kv", blockKV, 16, 256)) ||
      failed(checkInRange(emitError, "kv_splits", kvSplits, 1, 64)))
    return failure();
  if (nonKDim != 16 && nonKDim != 32)
    return emitError() << "matrix_instr_nonkdim = " << nonKDim
                       << " must be 16 or 32";
  if (kpack != 1 && kpack != 2)
    return emitError() << "kpack = " << kpack << " must be 1 or 2";
  return success();
}

//===----------------------------------------------------------------------===//
// TargetAttr
//===----------------------------------------------------------------------===//

LogicalResult TargetAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef chip) {
  if (!lookupTarget(chip))
    return emitError() << "unknown target '" << chip
                       << "'; known targets: " << knownTargetNames();
  return success();
}
