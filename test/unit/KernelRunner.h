//===- KernelRunner.h - run one compiled moec kernel in a unit test -*- C++ -*-===//
//
// The unit tests of the kernel lowerings (MoeGemmTest, SparseWindowTest)
// run the kernel of a compiled module on the host device for "host" and on
// the AMD emulator (lib/Emulator) for a gfx chip. This is that one path.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TEST_UNIT_KERNELRUNNER_H
#define MOEC_TEST_UNIT_KERNELRUNNER_H

#include "moec/Driver/Compiler.h"
#include "moec/Emulator/Emulator.h"
#include "moec/Runtime/KernelArgs.h"
#include "moec/Runtime/Runtime.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace moec::test {

/// One kernel argument: a row-major host array with its shape.
struct Arg {
  void *data;
  size_t bytes;
  std::vector<int64_t> sizes;
};

/// Launches the first kernel of `compiled` (compiled from `module` with
/// CompileStop::Loadable for "host", CompileStop::LaneLevel for a gfx chip)
/// on `grid` workgroups of `lanes` lanes. Returns an error text, "" if none.
inline std::string runKernel(mlir::ModuleOp module,
                             const CompiledModule &compiled,
                             llvm::StringRef chip, int64_t grid, int64_t lanes,
                             const std::vector<Arg> &args) {
  std::string kernelName = compiled.kernels.front().name;
  if (chip == "host") {
    auto device = rt::Device::open(rt::DeviceKind::Host, 0);
    if (!device.ok())
      return device.message();
    auto loaded = (*device)->loadHostModule(compiled.hostKernels);
    if (!loaded.ok())
      return loaded.message();
    auto kernel = (*loaded)->getKernel(kernelName);
    if (!kernel.ok())
      return kernel.message();
    rt::KernelArgs kargs;
    for (const Arg &a : args)
      kargs.addMemRef(a.data, a.sizes);
    if (rt::Status s = kernel->launch({grid}, {lanes}, 0, kargs); !s.ok())
      return s.message();
    return "";
  }
  mlir::gpu::GPUFuncOp func = emu::findKernel(module, kernelName);
  std::string chipAttr;
  llvm::raw_string_ostream os(chipAttr);
  os << module->getAttr("moec.target");
  auto emulator = emu::Emulator::create(func, chipAttr);
  if (!emulator)
    return llvm::toString(emulator.takeError());
  std::vector<emu::MemRefArg> margs;
  std::vector<emu::Allocation> allocs;
  for (const Arg &a : args) {
    emu::MemRefArg m;
    m.allocated = m.aligned = a.data;
    m.sizes = a.sizes;
    m.strides.assign(a.sizes.size(), 1);
    for (int64_t d = static_cast<int64_t>(a.sizes.size()) - 2; d >= 0; --d)
      m.strides[d] = m.strides[d + 1] * a.sizes[d + 1];
    margs.push_back(m);
    allocs.push_back({a.data, a.bytes});
  }
  if (llvm::Error e =
          (*emulator)->launch({grid, 1, 1}, {lanes, 1, 1}, margs, allocs))
    return llvm::toString(std::move(e));
  return "";
}

} // namespace moec::test

#endif // MOEC_TEST_UNIT_KERNELRUNNER_H
