//===- MoecDialect.h - the moec dialect -------------------------*- C++ -*-===//
#ifndef MOEC_DIALECT_MOECDIALECT_H
#define MOEC_DIALECT_MOECDIALECT_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "moec/Dialect/MoecDialect.h.inc"
#include "moec/Dialect/MoecEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "moec/Dialect/MoecAttrs.h.inc"

#define GET_OP_CLASSES
#include "moec/Dialect/MoecOps.h.inc"

#endif // MOEC_DIALECT_MOECDIALECT_H
