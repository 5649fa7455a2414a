//===- Emulate.cpp - moec run --emulate: launch on the AMD emulator -------===//
//
// Glue between `moec run` and lib/Emulator: turns the packed memref
// descriptors of a launch back into the emulator's MemRefArg list (the
// ranks come from the kernel's signature) and runs the grid.
//
//===----------------------------------------------------------------------===//

#include "Emulate.h"

#include "moec/Emulator/Emulator.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <fmt/format.h>

#include <cstring>

using namespace mlir;

std::string moec::tool::emulateLaunch(
    ModuleOp module, const std::string &name, std::array<int64_t, 3> grid,
    std::array<int64_t, 3> block, const rt::KernelArgs &args,
    const std::vector<const rt::Buffer *> &buffers, std::string &summary) {
  gpu::GPUFuncOp func = emu::findKernel(module, name);
  if (!func)
    return fmt::format("no lane-level kernel named {} to emulate", name);
  auto target = module->getAttrOfType<Attribute>("moec.target");
  std::string chip;
  if (target) {
    llvm::raw_string_ostream os(chip);
    os << target;
  }
  auto emulator = emu::Emulator::create(func, chip);
  if (!emulator)
    return llvm::toString(emulator.takeError());

  // Unpack the descriptors: allocated, aligned, offset, sizes, strides.
  const auto &slots = args.slots();
  const auto *bytes = static_cast<const uint8_t *>(args.packed());
  auto value = [&](size_t i) {
    int64_t v = 0;
    std::memcpy(&v, bytes + slots[i].offset, slots[i].size);
    return v;
  };
  std::vector<emu::MemRefArg> margs;
  size_t at = 0;
  for (BlockArgument a :
       func.getArguments().take_front(func.getArgumentTypes().size())) {
    auto mr = dyn_cast<MemRefType>(a.getType());
    if (!mr)
      return "the emulator launches kernels whose arguments are memrefs only";
    int64_t rank = mr.getRank();
    if (at + 3 + 2 * rank > slots.size())
      return "fewer launch arguments than the kernel takes";
    emu::MemRefArg m;
    m.allocated = reinterpret_cast<void *>(value(at));
    m.aligned = reinterpret_cast<void *>(value(at + 1));
    m.offset = value(at + 2);
    for (int64_t d = 0; d < rank; ++d)
      m.sizes.push_back(value(at + 3 + d));
    for (int64_t d = 0; d < rank; ++d)
      m.strides.push_back(value(at + 3 + rank + d));
    at += 3 + 2 * rank;
    margs.push_back(std::move(m));
  }
  std::vector<emu::Allocation> allocs;
  for (const rt::Buffer *b : buffers)
    if (b && b->data())
      allocs.push_back({b->data(), b->size()});
  emu::LaunchStats stats;
  if (llvm::Error e = (*emulator)->launch(grid, block, margs, allocs, &stats))
    return llvm::toString(std::move(e));
  summary = fmt::format(
      "emulated {} workgroups: {} wave instructions, {} lane instructions "
      "in {:.3f} s ({:.1f} M lane-instructions/s)",
      grid[0] * grid[1] * grid[2], stats.waveInstrs, stats.laneInstrs,
      stats.seconds,
      stats.seconds > 0 ? stats.laneInstrs / stats.seconds / 1e6 : 0.0);
  return "";
}
