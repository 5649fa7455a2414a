//===- Config.h - the knobs of #moec.config as a plain struct ---*- C++ -*-===//
//
// moec::ConfigValues mirrors #moec.config field by field, generated from the
// one knob list (ConfigKnobs.def). It is what code reads and edits; the
// attribute is what the IR carries. `toAttr` is the only place that calls the
// attribute's positional builder.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_DIALECT_CONFIG_H
#define MOEC_DIALECT_CONFIG_H

#include "moec/Dialect/MoecDialect.h"

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace moec {

struct ConfigValues {
#define MOEC_INT_KNOB(param, Field, flag, dflt, help)                          \
  int64_t param = knob_defaults::param;
#define MOEC_ENUM_KNOB(param, Field, flag, Enum, dflt, help)                   \
  Enum param = knob_defaults::param;
#define MOEC_BOOL_KNOB(param, Field, flag, dflt, help)                         \
  bool param = knob_defaults::param;
#include "moec/Dialect/ConfigKnobs.def"

  ConfigValues() = default;
  explicit ConfigValues(ConfigAttr attr);

  /// The attribute; asserts on a config that does not verify.
  ConfigAttr toAttr(mlir::MLIRContext *ctx) const;
  /// The attribute, or null after a diagnostic from `emitError`.
  ConfigAttr
  toAttrChecked(llvm::function_ref<mlir::InFlightDiagnostic()> emitError,
                mlir::MLIRContext *ctx) const;

  /// Pipeline depth with the legacy spelling resolved (0 means 2).
  int64_t effectiveNumStages() const { return num_stages == 0 ? 2 : num_stages; }

  /// `param = value` for every knob, in list order, comma separated.
  std::string str() const;
  /// A stable, readable name suffix: "64x64x32_g8_w4_s2_wpe0_nk16_kp1_direct",
  /// plus "_async" / "_aligned" when set.
  std::string mangle() const;

  bool operator==(const ConfigValues &o) const;
  bool operator!=(const ConfigValues &o) const { return !(*this == o); }
};

/// Stable 64-bit hash (the same in every process and on every host) of the
/// config: part of a kernel's cache key.
uint64_t stableHash(const ConfigValues &config);

/// Sets `assume_aligned = true` in the #moec.config of every op under `root`
/// that has one: the specialization the JIT and the tuner pick when every
/// leading dimension is a multiple of 16 bytes.
void setAssumeAligned(mlir::Operation *root);
/// Whether some op under `root` has a #moec.config with `assume_aligned`.
bool hasAssumeAligned(mlir::Operation *root);

} // namespace moec

#endif // MOEC_DIALECT_CONFIG_H
