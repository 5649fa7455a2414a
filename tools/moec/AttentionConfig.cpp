//===- AttentionConfig.cpp - per-shape configs in moec compile/run --------===//

#include "AttentionConfig.h"

#include "moec/Dialect/Config.h"
#include "moec/Dialect/MoecDialect.h"
#include "moec/Tuning/ConfigMapping.h"
#include "moec/Tuning/SparseMlaConfig.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

using namespace mlir;
using namespace moec;

LogicalResult moec::tool::chooseAttentionConfigs(
    llvm::ArrayRef<Operation *> ops, const std::map<std::string, int64_t> &sizes,
    const std::string &deviceName, bool verbose, const char *cmd) {
  for (Operation *o : ops) {
    auto op = cast<SparseAttentionOp>(o);
    auto module = op->getParentOfType<ModuleOp>();
    auto targetAttr =
        module->getAttrOfType<TargetAttr>(MoecDialect::kTargetAttrName);
    if (!targetAttr)
      continue;
    std::string chip = targetAttr.getChip().str();
    std::string device =
        deviceName.empty() ? tuning::typicalDeviceName(chip) : deviceName;
    auto qT = cast<MemRefType>(op.getQ().getType());
    auto idxT = cast<MemRefType>(op.getIndices().getType());
    auto dim = [&](int64_t fromType, const char *name) -> int64_t {
      if (!ShapedType::isDynamic(fromType))
        return fromType;
      auto it = sizes.find(name);
      return it != sizes.end() ? it->second : -1;
    };
    tuning::SparseMlaShape shape;
    shape.tokens = dim(qT.getDimSize(0), "tokens");
    shape.hQ = dim(qT.getDimSize(1), "h_q");
    shape.topk = dim(idxT.getDimSize(1), "topk");
    int64_t dQK = qT.getDimSize(2);
    int64_t dV = cast<MemRefType>(op.getOut().getType()).getDimSize(2);
    std::string dtype;
    llvm::raw_string_ostream os(dtype);
    qT.getElementType().print(os);
    tuning::SparseMlaChoice choice = tuning::chooseSparseMlaConfig(
        &tuning::TuningDB::global(), chip, device, dtype, shape, dQK, dV);
    ConfigAttr cfg = tuning::toConfigAttr([&] { return op.emitError(); },
                                          op->getContext(), choice.config);
    if (!cfg)
      return failure();
    op.setConfigAttr(cfg);
    if (failed(verify(op)))
      return failure();
    if (verbose) {
      std::string printed;
      llvm::raw_string_ostream ps(printed);
      Attribute(cfg).print(ps);
      auto show = [](int64_t v) {
        return v < 0 ? std::string("?") : std::to_string(v);
      };
      llvm::errs() << fmt::format(
          "moec {}: sparse_attention tokens={} h_q={} topk={} on {}: no "
          "config given; {} from the {}\n",
          cmd, show(shape.tokens), show(shape.hQ), show(shape.topk), chip,
          printed, choice.why);
    }
  }
  return success();
}
