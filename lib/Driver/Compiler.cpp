//===- Compiler.cpp - a verified moec module -> loadable kernels ----------===//

#include "moec/Driver/Compiler.h"
#include "moec/Dialect/MoecDialect.h"
#include "moec/Runtime/HostKernel.h"
#include "moec/Target/Backend.h"
#include "moec/Target/LLVMIR.h"
#include "moec/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/DiagnosticPrinter.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"

#include <unistd.h>

#include <chrono>
#include <mutex>

using namespace mlir;
using namespace moec;

namespace {

double msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

/// Reads what the outlining step recorded on each kernel.
std::vector<OutlinedKernel> collectKernels(ModuleOp module) {
  std::vector<OutlinedKernel> kernels;
  auto record = [&](Operation *op, StringRef name, int64_t lanes) {
    OutlinedKernel info;
    info.name = name.str();
    info.workgroupSize = lanes;
    if (auto lds = op->getAttrOfType<IntegerAttr>(
            MoecDialect::kKernelLdsBytesAttrName))
      info.ldsBytes = lds.getInt();
    info.dynamicLds = op->hasAttr(MoecDialect::kKernelDynamicLdsAttrName);
    kernels.push_back(std::move(info));
  };
  module.walk([&](gpu::GPUFuncOp f) {
    int64_t lanes = 1;
    if (auto known = f.getKnownBlockSizeAttr())
      lanes = known[0];
    record(f, f.getName(), lanes);
  });
  return kernels;
}

LogicalResult jitHostKernels(ModuleOp module, CompiledModule &out,
                             bool keepObject) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  ExecutionEngineOptions options;
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Default;
  options.enableObjectDump = keepObject;
  // The JIT optimizes the LLVM IR too: the host kernels are plain loops.
  auto engine = ExecutionEngine::create(module, options);
  if (!engine)
    return module.emitError() << "host JIT failed: "
                              << llvm::toString(engine.takeError());
  // Multi-lane kernels call the runtime's lane functions (HostKernel.h).
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap map;
    size_t count = 0;
    const rt::HostRuntimeSymbol *symbols = rt::hostRuntimeSymbols(&count);
    for (size_t i = 0; i < count; ++i)
      map[interner(symbols[i].name)] = {
          llvm::orc::ExecutorAddr::fromPtr(symbols[i].address),
          llvm::JITSymbolFlags::Exported};
    return map;
  });
  for (const OutlinedKernel &k : out.kernels) {
    auto fn = (*engine)->lookupPacked(k.name);
    if (!fn)
      return module.emitError() << "host JIT has no entry for kernel '"
                                << k.name
                                << "': " << llvm::toString(fn.takeError());
    out.hostKernels[k.name] = *fn;
  }
  if (keepObject) {
    // The engine's object cache holds the object once the lookups above
    // compiled it; it writes only to a file.
    llvm::SmallString<128> path;
    int fd = -1;
    if (auto ec = llvm::sys::fs::createTemporaryFile("moec-host", "o", fd,
                                                     path))
      return module.emitError() << "host object: cannot create a temporary "
                                   "file: "
                                << ec.message();
    ::close(fd);
    (*engine)->dumpToObjectFile(path);
    auto buf = llvm::MemoryBuffer::getFile(path);
    llvm::sys::fs::remove(path);
    if (!buf || (*buf)->getBufferSize() == 0)
      return module.emitError() << "host object: the JIT wrote no object";
    out.image = (*buf)->getBuffer().str();
  }
  out.hostEngine = std::shared_ptr<ExecutionEngine>(std::move(*engine));
  return success();
}

/// Puts the LLVM backend's warnings (a kernel that cannot reach its
/// waves_per_eu, a large stack) at the source location of the kernel they
/// concern, i.e. the moec op it came from, instead of LLVM's `<unknown>:0:0`.
class KernelWarningHandler : public llvm::DiagnosticHandler {
public:
  explicit KernelWarningHandler(ModuleOp module) : module(module) {}
  bool handleDiagnostics(const llvm::DiagnosticInfo &info) override {
    if (info.getSeverity() != llvm::DS_Warning)
      return false;
    std::string text;
    llvm::raw_string_ostream os(text);
    llvm::DiagnosticPrinterRawOStream printer(os);
    info.print(printer);
    StringRef message = text;
    message.consume_front("<unknown>:0:0: ");
    Location loc = module.getLoc();
    std::string kernel;
    if (auto *opt = dyn_cast<llvm::DiagnosticInfoOptimizationBase>(&info))
      kernel = opt->getFunction().getName().str();
    else if (auto *limit = dyn_cast<llvm::DiagnosticInfoResourceLimit>(&info))
      kernel = limit->getFunction().getName().str();
    else if (auto *unsupported =
                 dyn_cast<llvm::DiagnosticInfoUnsupported>(&info))
      kernel = unsupported->getFunction().getName().str();
    if (!kernel.empty())
      module.walk([&](Operation *op) {
        auto name = op->getAttrOfType<StringAttr>(
            SymbolTable::getSymbolAttrName());
        if (name && name.getValue() == kernel &&
            op->getParentOfType<gpu::GPUModuleOp>())
          loc = op->getLoc();
      });
    InFlightDiagnostic diag = emitWarning(loc);
    if (!kernel.empty() && !message.contains(kernel))
      diag << "kernel " << kernel << ": ";
    diag << "code generation: " << message;
    return true;
  }

private:
  ModuleOp module;
};

} // namespace

std::vector<OutlinedKernel> moec::outlinedKernels(ModuleOp module) {
  return collectKernels(module);
}

LogicalResult moec::jitLoweredHostModule(ModuleOp module, CompiledModule &out,
                                         bool keepObject) {
  return jitHostKernels(module, out, keepObject);
}

/// Whether the module holds the fp8 mma.sync of MmaSyncCore (inline PTX).
static bool usesFp8MmaSync(const llvm::Module &m) {
  for (const llvm::Function &f : m)
    for (const llvm::BasicBlock &bb : f)
      for (const llvm::Instruction &i : bb)
        if (auto *call = llvm::dyn_cast<llvm::CallInst>(&i))
          if (auto *ia = llvm::dyn_cast<llvm::InlineAsm>(
                  call->getCalledOperand())) {
            llvm::StringRef text = ia->getAsmString();
            if (text.contains("mma.sync") &&
                (text.contains(".e4m3") || text.contains(".e5m2")))
              return true;
          }
  return false;
}

EmitOptions moec::emitOptionsFor(const TargetInfo &target) {
  EmitOptions opts;
  if (target.isNVPTX())
    opts.features = "+ptx80"; // PTX 8.0 loads on CUDA 12+ drivers
  return opts;
}

FailureOr<std::string> moec::emitDeviceImage(ModuleOp module,
                                             const TargetInfo &target,
                                             DeviceImageKind kind) {
  llvm::LLVMContext llvmContext;
  llvmContext.setDiagnosticHandler(
      std::make_unique<KernelWarningHandler>(module));
  auto llvmModule = translateKernelsToLLVMIR(module, target, llvmContext);
  if (failed(llvmModule))
    return failure();
  auto fail = [&](llvm::Error e) -> FailureOr<std::string> {
    return module.emitError() << "code generation for " << target.chip
                              << " failed: " << llvm::toString(std::move(e));
  };
  EmitOptions opts = emitOptionsFor(target);
  if (target.isNVPTX() && usesFp8MmaSync(**llvmModule))
    opts.features = "+ptx84"; // mma.sync with .e4m3/.e5m2 needs PTX ISA 8.4
  if (target.isNVPTX()) {
    auto ptx = emitPTX(**llvmModule, target.chip, opts);
    if (!ptx)
      return fail(ptx.takeError());
    return std::move(*ptx);
  }
  switch (kind) {
  case DeviceImageKind::Assembly: {
    auto text = emitAssembly(**llvmModule, target.chip, opts);
    if (!text)
      return fail(text.takeError());
    return std::move(*text);
  }
  case DeviceImageKind::Object: {
    auto obj = emitRelocatableObject(**llvmModule, target.chip, opts);
    if (!obj)
      return fail(obj.takeError());
    return std::string(obj->begin(), obj->end());
  }
  case DeviceImageKind::Loadable: {
    auto hsaco = emitCodeObject(**llvmModule, target.chip, opts);
    if (!hsaco)
      return fail(hsaco.takeError());
    return std::string(hsaco->bytes.begin(), hsaco->bytes.end());
  }
  }
  return failure();
}

FailureOr<CompiledModule> moec::compileModule(ModuleOp module,
                                              CompileStop stop) {
  CompileOptions opts;
  opts.stop = stop;
  return compileModule(module, opts);
}

FailureOr<CompiledModule> moec::compileModule(ModuleOp module,
                                              const CompileOptions &opts) {
  CompileStop stop = opts.stop;
  auto targetAttr =
      module->getAttrOfType<TargetAttr>(MoecDialect::kTargetAttrName);
  if (!targetAttr)
    return module.emitError() << "no moec.target on the module";
  CompiledModule out;
  out.target = lookupTarget(targetAttr.getChip());
  const TargetInfo &target = *out.target;

  auto t0 = std::chrono::steady_clock::now();
  // No verification after every pass: the lowered module is verified once,
  // below, before anything reads it (each full verification of a large
  // unrolled kernel cost ~0.5% of a compile; there were ten).
  PassManager outline(module.getContext());
  outline.enableVerifier(false);
  buildKernelOutliningPipeline(outline);
  if (failed(outline.run(module)))
    return failure();
  out.kernels = collectKernels(module);
  out.outlineMs = msSince(t0);

  auto t1 = std::chrono::steady_clock::now();
  PassManager lower(module.getContext());
  lower.enableVerifier(false);
  bool laneLevel = stop == CompileStop::LaneLevel;
  if (laneLevel && !target.isAMDGPU())
    return module.emitError()
           << "stopping at the lane level is for AMD targets, not "
           << target.chip;
  if (laneLevel)
    buildKernelToLaneLevelPipeline(lower);
  else
    buildKernelToLLVMPipeline(lower, target);
  if (failed(lower.run(module)) || failed(verify(module)))
    return failure();
  out.lowerMs = msSince(t1);
  if (laneLevel)
    return out;

  auto t2 = std::chrono::steady_clock::now();
  if (target.isHost()) {
    if (failed(jitHostKernels(module, out, opts.hostObject)))
      return failure();
  } else {
    FailureOr<std::string> image = emitDeviceImage(module, target);
    if (failed(image))
      return failure();
    out.image = std::move(*image);
  }
  out.codegenMs = msSince(t2);
  return out;
}
