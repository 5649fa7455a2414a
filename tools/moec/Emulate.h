//===- Emulate.h - moec run --emulate: launch on the AMD emulator -*- C++ -*-=//
#ifndef MOEC_TOOLS_MOEC_EMULATE_H
#define MOEC_TOOLS_MOEC_EMULATE_H

#include "moec/Runtime/KernelArgs.h"
#include "moec/Runtime/Runtime.h"

#include "mlir/IR/BuiltinOps.h"

#include <array>
#include <string>
#include <vector>

namespace moec::tool {

/// Runs kernel `name` of the lane-level `module` (compileModule with
/// CompileStop::LaneLevel) on the CPU emulator of lib/Emulator, over host
/// buffers: `args` are memref descriptors as for a device launch, `buffers`
/// every buffer an access may touch. Returns an error message, empty on
/// success; `summary` gets the emulated instruction counts and throughput.
std::string emulateLaunch(mlir::ModuleOp module, const std::string &name,
                          std::array<int64_t, 3> grid,
                          std::array<int64_t, 3> block,
                          const rt::KernelArgs &args,
                          const std::vector<const rt::Buffer *> &buffers,
                          std::string &summary);

} // namespace moec::tool

#endif // MOEC_TOOLS_MOEC_EMULATE_H
