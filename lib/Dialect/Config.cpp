//===- Config.cpp - #moec.config as a plain struct ------------------------===//

#include "moec/Dialect/Config.h"

#include "llvm/Support/xxhash.h"

#include <fmt/format.h>

using namespace mlir;
using namespace moec;

ConfigValues::ConfigValues(ConfigAttr attr) {
#define MOEC_INT_KNOB(param, Field, flag, dflt, help) param = attr.get##Field();
#define MOEC_ENUM_KNOB(param, Field, flag, Enum, dflt, help)                   \
  param = attr.get##Field();
#define MOEC_BOOL_KNOB(param, Field, flag, dflt, help) param = attr.get##Field();
#include "moec/Dialect/ConfigKnobs.def"
}

// The one positional call of the attribute's builder: its parameter order is
// the order of the knob list.
ConfigAttr ConfigValues::toAttrChecked(
    function_ref<InFlightDiagnostic()> emitError, MLIRContext *ctx) const {
  return ConfigAttr::getChecked(emitError, ctx
#define MOEC_INT_KNOB(param, Field, flag, dflt, help) , param
#define MOEC_ENUM_KNOB(param, Field, flag, Enum, dflt, help) , param
#define MOEC_BOOL_KNOB(param, Field, flag, dflt, help) , param
#include "moec/Dialect/ConfigKnobs.def"
  );
}

ConfigAttr ConfigValues::toAttr(MLIRContext *ctx) const {
  return ConfigAttr::get(ctx
#define MOEC_INT_KNOB(param, Field, flag, dflt, help) , param
#define MOEC_ENUM_KNOB(param, Field, flag, Enum, dflt, help) , param
#define MOEC_BOOL_KNOB(param, Field, flag, dflt, help) , param
#include "moec/Dialect/ConfigKnobs.def"
  );
}

std::string ConfigValues::str() const {
  std::string s;
  auto add = [&](llvm::StringRef name, const std::string &value) {
    s += fmt::format("{}{} = {}", s.empty() ? "" : ", ", name.str(), value);
  };
#define MOEC_INT_KNOB(param, Field, flag, dflt, help)                          \
  add(#param, std::to_string(param));
#define MOEC_ENUM_KNOB(param, Field, flag, Enum, dflt, help)                   \
  add(#param, stringify##Enum(param).str());
#define MOEC_BOOL_KNOB(param, Field, flag, dflt, help)                         \
  add(#param, param ? "true" : "false");
#include "moec/Dialect/ConfigKnobs.def"
  return s;
}

std::string ConfigValues::mangle() const {
  // Integers by their value in list order, enums by name, switches by name
  // when on: readable, and distinct for distinct configs.
  std::string s;
  auto sep = [&] { return s.empty() ? "" : "_"; };
#define MOEC_INT_KNOB(param, Field, flag, dflt, help)                          \
  s += fmt::format("{}{}", sep(), param);
#define MOEC_ENUM_KNOB(param, Field, flag, Enum, dflt, help)                   \
  s += fmt::format("{}{}", sep(), stringify##Enum(param).str());
#define MOEC_BOOL_KNOB(param, Field, flag, dflt, help)                         \
  if (param)                                                                   \
    s += fmt::format("{}{}", sep(), #param);
#include "moec/Dialect/ConfigKnobs.def"
  return s;
}

bool ConfigValues::operator==(const ConfigValues &o) const {
  bool same = true;
#define MOEC_INT_KNOB(param, Field, flag, dflt, help) same &= param == o.param;
#define MOEC_ENUM_KNOB(param, Field, flag, Enum, dflt, help)                   \
  same &= param == o.param;
#define MOEC_BOOL_KNOB(param, Field, flag, dflt, help) same &= param == o.param;
#include "moec/Dialect/ConfigKnobs.def"
  return same;
}

uint64_t moec::stableHash(const ConfigValues &config) {
  // xxh3 of the canonical text: the same in every process and on every host
  // (llvm::hash_value is not promised to be).
  return llvm::xxh3_64bits(config.str());
}

void moec::setAssumeAligned(mlir::Operation *root) {
  root->walk([](mlir::Operation *op) {
    for (mlir::NamedAttribute named : op->getAttrs())
      if (auto cfg = llvm::dyn_cast<ConfigAttr>(named.getValue())) {
        ConfigValues v(cfg);
        v.assume_aligned = true;
        op->setAttr(named.getName(), v.toAttr(op->getContext()));
        return;
      }
  });
}

bool moec::hasAssumeAligned(mlir::Operation *root) {
  bool found = false;
  root->walk([&](mlir::Operation *op) {
    for (mlir::NamedAttribute named : op->getAttrs())
      if (auto cfg = llvm::dyn_cast<ConfigAttr>(named.getValue()))
        found |= ConfigValues(cfg).assume_aligned;
  });
  return found;
}
