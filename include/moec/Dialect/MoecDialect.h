//===- MoecDialect.h - the moec dialect -------------------------*- C++ -*-===//
#ifndef MOEC_DIALECT_MOECDIALECT_H
#define MOEC_DIALECT_MOECDIALECT_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "moec/Dialect/MoecDialect.h.inc"
#include "moec/Dialect/MoecEnums.h.inc"

namespace moec {
/// Defaults of #moec.config, from the one knob list (MoecAttrs.td names them).
namespace knob_defaults {
#define MOEC_INT_KNOB(param, Field, flag, dflt, help)                          \
  inline constexpr int64_t param = dflt;
#define MOEC_ENUM_KNOB(param, Field, flag, Enum, dflt, help)                   \
  inline constexpr Enum param = Enum::dflt;
#define MOEC_BOOL_KNOB(param, Field, flag, dflt, help)                         \
  inline constexpr bool param = dflt;
#include "moec/Dialect/ConfigKnobs.def"
} // namespace knob_defaults
} // namespace moec

#define GET_ATTRDEF_CLASSES
#include "moec/Dialect/MoecAttrs.h.inc"

#define GET_OP_CLASSES
#include "moec/Dialect/MoecOps.h.inc"

#endif // MOEC_DIALECT_MOECDIALECT_H
