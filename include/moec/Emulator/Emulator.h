//===- Emulator.h - run lane-level AMD kernels on the CPU -------*- C++ -*-===//
//
// Executes a lane-level `gpu.func` (gpu, cf, arith, math, memref, vector,
// amdgpu, rocdl and a few llvm ops): the IR moec's AMD pipeline holds just
// before `moec-convert-kernels-to-llvm`, i.e. the very IR that then becomes
// LLVM IR for gfx90a/gfx942/gfx950. It exists because no AMD GPU is
// available: it proves the numerics of what only AMD code does (MFMA
// register layouts, buffer range checks, LDS swizzles, wave ids).
//
// Design (also in docs/emulator.md):
//  * The function is pre-decoded once into a flat program: basic blocks in
//    order, each a list of instructions with an opcode enum, operand and
//    result slots and immediates. Every SSA value owns a slot of
//    `elements x 64` 64-bit cells (element-major: the 64 lanes of one
//    element are contiguous), so an op is a loop over lanes, never a string
//    dispatch per lane. Memrefs and buffer resources are uniform per wave
//    (checked) and live in their own descriptor table.
//  * A wave runs its 64 lanes in lockstep under an execution mask. Divergent
//    branches use the classic SIMT reconvergence stack: at a branch whose
//    lanes disagree, the wave continues at the branch block's immediate
//    post-dominator once every side has run there; a loop's exiting lanes
//    wait at the loop exit. This is exact for any reducible CFG (all that
//    scf-to-cf produces). Writes only touch active lanes.
//  * A workgroup's waves run one after another up to the next barrier (or
//    the end); when all have arrived the barrier releases. A wave that ends
//    while others wait, waves at different barriers, or a barrier or MFMA
//    reached with part of the wave inactive are errors.
//  * LDS is one byte array per workgroup with per-byte shadow state: the
//    barrier epoch and wave of the last write and the waves that read it in
//    the current epoch. Reads of never-written bytes, and a read/write of a
//    byte another wave wrote/read since the last barrier (a missing
//    barrier), are errors.
//  * Global memory is the caller's host memory; every access must fall in
//    one of the registered allocations. Buffer resources carry base,
//    stride, num_records and flags; raw buffer accesses are range checked
//    per dword (offset + bytes > num_records: loads read 0, stores dropped)
//    before the address is formed.
//  * Every slot has a per-lane "defined" mask: reading a lane never written
//    (ub.poison, a value from a branch the lane skipped) is an error.
//  * Errors name the op (its location), the workgroup, the wave and lane.
//
//===----------------------------------------------------------------------===//

#ifndef MOEC_EMULATOR_EMULATOR_H
#define MOEC_EMULATOR_EMULATOR_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlir::gpu {
class GPUFuncOp;
}

namespace moec::emu {

/// A strided memref argument in host memory (MLIR's descriptor fields).
struct MemRefArg {
  void *allocated = nullptr;
  void *aligned = nullptr;
  int64_t offset = 0;
  std::vector<int64_t> sizes, strides;
};

/// A host allocation global accesses may touch.
struct Allocation {
  const void *begin = nullptr;
  size_t bytes = 0;
};

struct LaunchStats {
  uint64_t waveInstrs = 0; ///< instructions issued per wave
  uint64_t laneInstrs = 0; ///< the same weighted by active lanes
  double seconds = 0;
};

class Program;

/// One decoded kernel, ready to launch any number of times.
class Emulator {
public:
  ~Emulator();
  /// Decodes `func`; fails (with a message naming the op) on an op or type
  /// the emulator does not know.
  static llvm::Expected<std::unique_ptr<Emulator>>
  create(mlir::gpu::GPUFuncOp func, llvm::StringRef chip);

  /// Runs the grid. `args` are the kernel's memref arguments in order;
  /// `allocations` every host range a global access may touch.
  llvm::Error launch(std::array<int64_t, 3> grid, std::array<int64_t, 3> block,
                     const std::vector<MemRefArg> &args,
                     const std::vector<Allocation> &allocations,
                     LaunchStats *stats = nullptr);

private:
  Emulator();
  std::unique_ptr<Program> program;
};

/// Finds the kernel `name` (or the only one) in `module`'s gpu.modules.
mlir::gpu::GPUFuncOp findKernel(mlir::ModuleOp module, llvm::StringRef name);

} // namespace moec::emu

#endif // MOEC_EMULATOR_EMULATOR_H
