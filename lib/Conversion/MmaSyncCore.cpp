//===- MmaSyncCore.cpp - the tile product on NVIDIA tensor cores ----------===//
//
// Not written yet: the dispatcher reports that the NVIDIA lowering is not
// available rather than producing anything.
//
//===----------------------------------------------------------------------===//

#include "moec/Conversion/MatrixCore.h"

std::unique_ptr<moec::MatrixCore>
moec::createMmaSyncCore(const GemmKernelSpec &) {
  return nullptr;
}
