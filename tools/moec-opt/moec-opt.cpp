//===- moec-opt.cpp - mlir-opt with moec's dialect and passes -------------===//
//
// Runs any moec pass or pipeline alone on a .mlir file; lit tests drive it.
//
//===----------------------------------------------------------------------===//

#include "moec/Tools/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  moec::registerMoecDialects(registry);
  moec::registerAllMoecPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "moec optimizer driver\n", registry));
}
