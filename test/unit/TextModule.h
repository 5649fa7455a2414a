//===- TextModule.h - a moec module parsed from text in a unit test -*- C++ -*-===//
//
// The unit tests that build modules from text (the config tables' checks,
// the kernel lowerings' runs) need the same four things: a context with the
// moec dialects, a handler that keeps every diagnostic as text (the test's
// failure message), the parse, and optionally the verifier. This is that
// one place.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TEST_UNIT_TEXTMODULE_H
#define MOEC_TEST_UNIT_TEXTMODULE_H

#include "moec/Tools/Registration.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"

#include <string>

namespace moec::test {

/// `text` parsed in a fresh context; `module` is null when parsing (or,
/// with `verify`, verification) failed, and `diagnostics` says why. The
/// diagnostics of anything done later in `ctx` (a pass, a verify) collect
/// there too.
class TextModule {
public:
  explicit TextModule(const std::string &text, bool verify = true)
      : ctx(makeRegistry()),
        handler(&ctx, [this](mlir::Diagnostic &d) {
          diagnostics += d.str() + "\n";
          return mlir::success();
        }) {
    ctx.loadAllAvailableDialects();
    module = mlir::parseSourceString<mlir::ModuleOp>(
        text, mlir::ParserConfig(&ctx, verify));
  }
  TextModule(const TextModule &) = delete;
  TextModule &operator=(const TextModule &) = delete;

  mlir::MLIRContext ctx;
  std::string diagnostics;
  mlir::OwningOpRef<mlir::ModuleOp> module;

private:
  static mlir::DialectRegistry makeRegistry() {
    mlir::DialectRegistry registry;
    registerMoecDialects(registry);
    return registry;
  }
  mlir::ScopedDiagnosticHandler handler;
};

} // namespace moec::test

#endif // MOEC_TEST_UNIT_TEXTMODULE_H
