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

#include "moec/Driver/Compiler.h"
#include "moec/Runtime/Runtime.h"
#include "moec/Target/Backend.h"
#include "moec/Target/TargetInfo.h"

#include "mlir/IR/BuiltinOps.h"

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace llvm::orc {
class LLJIT;
} // namespace llvm::orc

namespace moec::jit {

/// Every field of `opts` as "name=value" lines; the IR pipeline is the one
/// that will run ($MOEC_IR_PIPELINE when the option is empty).
std::string serializeEmitOptions(const EmitOptions &opts);

/// The whole key text of `module` (verified, target attached) compiled for
/// `target` by compileModule.
std::string cacheKeyText(mlir::ModuleOp module, const TargetInfo &target);

/// The payload of a cache entry, the format the key text names ("jit-1"):
/// each kernel's launch metadata, then the code object (PTX, hsaco, or on
/// the host an ELF object: compile with CompileOptions::hostObject). The JIT
/// and `moec tune` both store and read this, so they share entries.
std::string serializePayload(const CompiledModule &m);
struct Payload {
  std::vector<OutlinedKernel> kernels;
  std::string_view image; ///< points into the bytes parsed
};
/// False when `bytes` is not a whole payload.
bool parsePayload(const std::string &bytes, Payload &out);

/// Links host-target payload images into this process. Thread-safe.
class HostObjectLoader {
public:
  HostObjectLoader();
  ~HostObjectLoader();
  /// The kernels of `object` as a module of the host `device` (one JIT
  /// dylib per call: kernels of different objects share names).
  rt::Expected<std::shared_ptr<rt::Module>>
  load(rt::Device &device, std::string_view object,
       const std::vector<OutlinedKernel> &kernels);

private:
  std::mutex mutex_;
  std::unique_ptr<llvm::orc::LLJIT> jit_;
  unsigned dylibs_ = 0;
};

} // namespace moec::jit

#endif // MOEC_JIT_CACHEKEY_H
