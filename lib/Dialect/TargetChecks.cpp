//===- TargetChecks.cpp - configs against a target's limits ---------------===//

#include "moec/Dialect/TargetChecks.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace moec;

int64_t moec::elementBytes(Type type) {
  return std::max<int64_t>(1, type.getIntOrFloatBitWidth() / 8);
}

int64_t moec::ldsTileBytes(int64_t rows, int64_t cols, Type type) {
  return rows * cols * elementBytes(type);
}

bool moec::isFp8(Type type) {
  return isa<Float8E4M3FNUZType, Float8E5M2FNUZType, Float8E4M3FNType,
             Float8E5M2Type>(type);
}

static bool isFnuzFp8(Type type) {
  return isa<Float8E4M3FNUZType, Float8E5M2FNUZType>(type);
}

const TargetInfo *moec::getEnclosingTarget(Operation *op) {
  for (Operation *p = op->getParentOp(); p; p = p->getParentOp())
    if (auto target =
            p->getAttrOfType<TargetAttr>(MoecDialect::kTargetAttrName))
      return lookupTarget(target.getChip());
  return nullptr;
}

LogicalResult moec::verifyElementTypeForTarget(Operation *op, StringRef operand,
                                               Type type,
                                               const TargetInfo &target) {
  if (!isFp8(type))
    return success();
  switch (target.fp8) {
  case Fp8Flavor::Any:
    return success();
  case Fp8Flavor::None:
    return op->emitOpError() << operand << " element type " << type
                             << " is not supported on " << target.chip
                             << ": it has no fp8 matrix instructions";
  case Fp8Flavor::FNUZ:
    if (isFnuzFp8(type))
      return success();
    return op->emitOpError() << operand << " element type " << type
                             << " is not supported on " << target.chip
                             << ", which takes the fnuz fp8 types "
                                "(f8E4M3FNUZ, f8E5M2FNUZ)";
  case Fp8Flavor::OCP:
    if (!isFnuzFp8(type))
      return success();
    return op->emitOpError() << operand << " element type " << type
                             << " is not supported on " << target.chip
                             << ", which takes the OCP fp8 types "
                                "(f8E4M3FN, f8E5M2)";
  }
  return success();
}

MatrixInputKind moec::matrixInputKind(Type t) {
  if (t.isF16())
    return MatrixInputKind::F16;
  if (t.isBF16())
    return MatrixInputKind::BF16;
  if (t.isInteger(8))
    return MatrixInputKind::I8;
  return MatrixInputKind::FP8;
}

