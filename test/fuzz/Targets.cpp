//===- Targets.cpp - the fuzz targets by name -----------------------------===//
#include "FuzzTargets.h"

namespace {
int mlirGfx942(const uint8_t *d, size_t n) { return moec::fuzz::mlir(d, n, "gfx942"); }
int mlirSm90(const uint8_t *d, size_t n) { return moec::fuzz::mlir(d, n, "sm_90"); }
int mlirHost(const uint8_t *d, size_t n) { return moec::fuzz::mlir(d, n, "host"); }
} // namespace

moec::fuzz::Target moec::fuzz::lookup(std::string_view name) {
  if (name == "mlir-gfx942")
    return mlirGfx942;
  if (name == "mlir-sm_90")
    return mlirSm90;
  if (name == "mlir-host")
    return mlirHost;
  if (name == "codeobject")
    return codeObject;
  if (name == "tuning")
    return tuning;
  return nullptr;
}
