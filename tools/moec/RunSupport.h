//===- RunSupport.h - what every moec run / bench path shares ---*- C++ -*-===//
//
// The device a compiled module runs on, its loaded module, uploads, the
// median-of-launches timing and the JSON line of `moec bench`: the same for
// moec.gemm (Run.cpp) and moec.sparse_attention (AttentionRun.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TOOLS_MOEC_RUNSUPPORT_H
#define MOEC_TOOLS_MOEC_RUNSUPPORT_H

#include "moec/Driver/Compiler.h"
#include "moec/Runtime/Runtime.h"

#include <functional>
#include <memory>
#include <string>

namespace moec::tool {

/// The device matching the compiled target (--emulate: host memory, the
/// lane-level kernel run by lib/Emulator), index `index` of its kind.
rt::Expected<std::shared_ptr<rt::Device>>
openRunDevice(const CompiledModule &compiled, bool emulate, int index);

/// The compiled kernels loaded on `dev` (host kernels or the GPU image).
rt::Expected<std::shared_ptr<rt::Module>>
loadCompiled(rt::Device &dev, const CompiledModule &compiled);

/// A device buffer of at least 16 bytes holding `bytes` bytes of `data`.
rt::Expected<rt::Buffer> uploadBytes(rt::Device &dev, const void *data,
                                     size_t bytes);

/// The median of `repeat` timed calls of `launch` (each one timed by device
/// events) after `warmup` untimed ones. `launch(i)` gets the call's index.
rt::Expected<double>
medianLaunchMs(rt::Device &dev, int warmup, int repeat,
               const std::function<rt::Status(int)> &launch);

/// Appends `line` to `path`; an error message, or empty.
std::string appendLine(const std::string &path, const std::string &line);

} // namespace moec::tool

#endif // MOEC_TOOLS_MOEC_RUNSUPPORT_H
