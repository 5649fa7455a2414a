//===- CacheKey.cpp - what names a compiled kernel variant ----------------===//

#include "moec/Jit/CacheKey.h"

#include "moec/Driver/Compiler.h"
#include "moec/Support/Version.h"

#include "mlir/IR/OperationSupport.h"

#include <fmt/format.h>

#include <cstdlib>

using namespace moec;

std::string moec::jit::serializeEmitOptions(const EmitOptions &opts) {
  std::string pipeline = opts.irPipeline;
  if (pipeline.empty())
    if (const char *env = std::getenv("MOEC_IR_PIPELINE"))
      pipeline = env;
  return fmt::format("optLevel={}\noptimizeIR={}\nirPipeline={}\n"
                     "codeObjectVersion={}\nfeatures={}\n",
                     opts.optLevel, opts.optimizeIR ? 1 : 0,
                     pipeline.empty() ? "<default>" : pipeline,
                     opts.codeObjectVersion, opts.features);
}

std::string moec::jit::cacheKeyText(mlir::ModuleOp module,
                                    const TargetInfo &target) {
  std::string ir;
  llvm::raw_string_ostream os(ir);
  // Locations and SSA names of the source do not change the code.
  module->print(os, mlir::OpPrintingFlags().enableDebugInfo(false));
  return fmt::format("moec {}\npayload jit-1 (host object)\ntarget {}\n{}"
                     "ir:\n{}",
                     kVersion, target.chip.str(),
                     serializeEmitOptions(emitOptionsFor(target)), ir);
}
