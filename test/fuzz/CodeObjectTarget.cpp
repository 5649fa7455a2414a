//===- CodeObjectTarget.cpp - fuzz target: the code-object reader ---------===//
#include "FuzzTargets.h"

#include "moec/Target/CodeObject.h"
#include "moec/Target/TargetInfo.h"

#include "llvm/Support/Error.h"

int moec::fuzz::codeObject(const uint8_t *data, size_t size) {
  llvm::Expected<CodeObjectInfo> info = readCodeObject(
      llvm::ArrayRef<char>(reinterpret_cast<const char *>(data), size),
      "fuzz");
  if (!info) {
    llvm::consumeError(info.takeError());
    return 0;
  }
  // What `moec inspect` computes from a read object.
  int64_t sum = 0;
  for (const KernelInfo &k : info->kernels) {
    sum += k.archVgprs() + k.workgroupSize();
    if (const TargetInfo *t = lookupTarget(info->chip); t && t->isAMDGPU())
      sum += computeOccupancy(*t, k).wavesPerSimd;
  }
  return sum == -1 ? 1 : 0; // keeps the computation
}
