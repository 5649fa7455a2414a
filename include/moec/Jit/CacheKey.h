//===- CacheKey.h - what names a compiled kernel variant --------*- C++ -*-===//
//
// The text hashed into a kernel cache key (KernelCache::hashKey). It holds
// everything that changes the code, so that changing any knob makes a new
// entry (Triton's rule): the moec version and payload format, the target,
// every code-generation option (serializeEmitOptions: optimization level, IR
// pipeline as it will run, code-object version, features), and the canonical
// kernel IR after the config, the target and the module flags
// (moec.assume_aligned, moec.async_copy) are attached.
//
// Adding a codegen knob: add it to EmitOptions and to serializeEmitOptions,
// the one place the key learns about options.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_JIT_CACHEKEY_H
#define MOEC_JIT_CACHEKEY_H

#include "moec/Target/Backend.h"
#include "moec/Target/TargetInfo.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace moec::jit {

/// Every field of `opts` as "name=value" lines; the IR pipeline is the one
/// that will run ($MOEC_IR_PIPELINE when the option is empty).
std::string serializeEmitOptions(const EmitOptions &opts);

/// The whole key text of `module` (verified, target attached) compiled for
/// `target` by compileModule.
std::string cacheKeyText(mlir::ModuleOp module, const TargetInfo &target);

} // namespace moec::jit

#endif // MOEC_JIT_CACHEKEY_H
