//===- moec.cpp - the moec command-line tool ------------------------------===//
//
//   moec compile FILE.mlir --arch gfx942 [--block-m 64 ...] [--emit mlir] [-o OUT]
//   moec tune | db | bench | inspect | run ...
//
// Flags override the config written in the file. Every error goes to stderr
// naming the file, line and parameter, and the exit code is non-zero.
//
//===----------------------------------------------------------------------===//

#include "AttentionConfig.h"
#include "Run.h"

#include "moec/Dialect/MoecDialect.h"
#include "moec/Driver/Compiler.h"
#include "moec/Support/FileIO.h"
#include "moec/Support/Version.h"
#include "moec/Target/LLVMIR.h"
#include "moec/Target/TargetInfo.h"
#include "moec/Dialect/Config.h"
#include "moec/Transforms/Passes.h"
#include "moec/Tools/Registration.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/StringSaver.h"
#include "llvm/Support/VirtualFileSystem.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <csignal>
#include <functional>
#include <optional>
#include <vector>

using namespace mlir;
namespace cl = llvm::cl;

int runInspect(llvm::ArrayRef<std::string> args); // Inspect.cpp
int runTune(llvm::ArrayRef<std::string> args);    // Tune.cpp
int runDb(llvm::ArrayRef<std::string> args);      // Tune.cpp
int runCache(llvm::ArrayRef<std::string> args);   // Cache.cpp

namespace {

//===----------------------------------------------------------------------===//
// Command-line definition
//===----------------------------------------------------------------------===//

cl::SubCommand compileCmd("compile", "Compile a .mlir file for one target");
cl::SubCommand tuneCmd("tune", "Autotune the kernels of a file on a device");
cl::SubCommand benchCmd("bench", "Time compiled kernels on a device");
cl::SubCommand inspectCmd("inspect", "Print the resources of a code object");
cl::SubCommand runCmd("run", "Compile, launch and check against a reference");
cl::SubCommand dbCmd("db", "Merge and query tuning databases");
cl::SubCommand cacheCmd("cache", "The JIT's kernel cache: list, stats, clear "
                                 "[--dir DIR]");

cl::OptionCategory configCat("Tuning config overrides (each replaces the "
                             "value in the file's #moec.config)");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input .mlir>"),
                               cl::Required, cl::sub(compileCmd),
                               cl::sub(runCmd), cl::sub(benchCmd));
cl::opt<std::string> outputFile(
    "o",
    cl::desc("Output file (default: the code object goes to "
             "<input>.<arch>.<ext>, an --emit of text to stdout)"),
    cl::value_desc("file"), cl::sub(compileCmd));
cl::opt<std::string> arch("arch",
                          cl::desc("Target: gfx90a, gfx942, gfx950, sm_80, "
                                   "sm_90 or host (default: the file's "
                                   "moec.target)"),
                          cl::sub(compileCmd), cl::sub(runCmd),
                          cl::sub(benchCmd));
cl::opt<std::string> emit(
    "emit",
    cl::desc("What to write: mlir (verified input), kernels (lowered MLIR), "
             "llvm (LLVM IR), asm/obj/hsaco (AMD), ptx (NVIDIA), obj (host). "
             "Default: what -o's extension names (.mlir .ll .s .o .hsaco "
             ".ptx), else the target's code object: hsaco (AMD), ptx "
             "(NVIDIA), obj (host)"),
    cl::sub(compileCmd));
/// One flag per knob of the config (ConfigKnobs.def): `--block-m 64`,
/// `--epilogue lds`, `--async-copy`. Each replaces the file's value.
struct ConfigFlags {
#define MOEC_INT_KNOB(param, Field, flag, dflt, help)                          \
  cl::opt<int64_t> param{flag, cl::desc(help), cl::cat(configCat),            \
                         cl::sub(compileCmd), cl::sub(runCmd),                 \
                         cl::sub(benchCmd)};
#define MOEC_ENUM_KNOB(param, Field, flag, Enum, dflt, help)                   \
  cl::opt<std::string> param{flag, cl::desc(help), cl::cat(configCat),        \
                             cl::sub(compileCmd), cl::sub(runCmd),             \
                             cl::sub(benchCmd)};
#define MOEC_BOOL_KNOB(param, Field, flag, dflt, help)                         \
  cl::opt<bool> param{flag, cl::desc(help), cl::cat(configCat),               \
                      cl::sub(compileCmd), cl::sub(runCmd), cl::sub(benchCmd)};
#include "moec/Dialect/ConfigKnobs.def"
};
ConfigFlags configFlags;

cl::opt<bool> emulateOpt(
    "emulate",
    cl::desc("AMD targets: run the lane-level kernel (the input of the LLVM "
             "conversion) on the CPU emulator instead of a GPU, with the "
             "same reference check"),
    cl::sub(runCmd));

cl::OptionCategory runCat("run / bench");
cl::list<std::string> sizes("sizes",
                            cl::desc("Values of dynamic dimensions, e.g. "
                                     "M=300,N=200,K=100 (compile: tokens=N "
                                     "picks sparse_attention's per-shape "
                                     "config)"),
                            cl::CommaSeparated, cl::cat(runCat),
                            cl::sub(runCmd), cl::sub(benchCmd),
                            cl::sub(compileCmd));
cl::opt<uint64_t> seed("seed", cl::desc("Random seed (default: fresh)"),
                       cl::cat(runCat), cl::sub(runCmd), cl::sub(benchCmd));
cl::opt<int> deviceIndex("device", cl::desc("Device index"), cl::init(0),
                         cl::cat(runCat), cl::sub(runCmd), cl::sub(benchCmd));
cl::opt<bool> verbose("verbose", cl::desc("Say what was compiled and how long it took"),
                      cl::sub(compileCmd), cl::sub(runCmd), cl::sub(benchCmd));
cl::opt<std::string> indexPattern(
    "index-pattern",
    cl::desc("sparse_attention: index rows random | duplicates | invalid "
             "(even tokens all -1) | window (short windows through a page "
             "table)"),
    cl::init("random"), cl::cat(runCat), cl::sub(runCmd), cl::sub(benchCmd));
cl::opt<int> warmup("warmup", cl::desc("bench: warm-up launches"), cl::init(10),
                    cl::cat(runCat), cl::sub(benchCmd));
cl::opt<int> repeat("repeat", cl::desc("bench: timed launches"), cl::init(50),
                    cl::cat(runCat), cl::sub(benchCmd));
cl::opt<std::string> jsonOut("json", cl::desc("bench: append a JSON line here"),
                             cl::cat(runCat), cl::sub(benchCmd));
cl::opt<int64_t> tokensOpt("tokens",
                           cl::desc("MoE functions: the number of tokens"),
                           cl::cat(runCat), cl::sub(runCmd), cl::sub(benchCmd));
cl::opt<std::string> routingOpt(
    "routing",
    cl::desc("MoE functions: how topk_ids route tokens: uniform, skewed, "
             "one-expert, empty-experts, invalid (-1 ids mixed in)"),
    cl::init("uniform"), cl::cat(runCat), cl::sub(runCmd), cl::sub(benchCmd));

// tune, inspect and db parse their own arguments (Tune.cpp, Inspect.cpp).
cl::list<std::string> tuneArgs(cl::Sink, cl::sub(tuneCmd));
cl::list<std::string> inspectArgs(cl::Sink, cl::sub(inspectCmd));
cl::list<std::string> dbArgs(cl::Sink, cl::sub(dbCmd));
cl::list<std::string> cacheArgs(cl::Sink, cl::sub(cacheCmd));

//===----------------------------------------------------------------------===//
// compile
//===----------------------------------------------------------------------===//

/// Whether a config flag was given (set by applyConfigOverrides).
bool configFlagsGiven = false;
/// The sparse_attention ops the file gives no `config` (loadVerifiedModule
/// gives them #moec.config's defaults): without a config flag they take the
/// config of their decode shape (AttentionConfig.h).
std::vector<Operation *> unconfiguredOps;

/// --sizes NAME=<n>,... into `out`; false after a message on a bad entry.
bool parseSizes(const char *cmd, std::map<std::string, int64_t> &out) {
  for (const std::string &kv : sizes) {
    size_t eq = kv.find('=');
    int64_t value = 0;
    if (eq == std::string::npos ||
        llvm::StringRef(kv).substr(eq + 1).getAsInteger(10, value)) {
      llvm::errs() << fmt::format("moec {}: error: --sizes entry '{}' is not "
                                  "NAME=<integer>\n",
                                  cmd, kv);
      return false;
    }
    out[kv.substr(0, eq)] = value;
  }
  return true;
}

/// Rewrites the config of every moec op with the flags given. Returns failure
/// (after a diagnostic at the op) when the result is not a valid config.
LogicalResult applyConfigOverrides(ModuleOp module, const char *cmd) {
  // What was given, as the user wrote it, for messages; and an edit that
  // applies it to a config.
  std::string given;
  std::vector<std::function<void(moec::ConfigValues &)>> edits;
#define MOEC_INT_KNOB(param, Field, flag, dflt, help)                          \
  if (configFlags.param.getNumOccurrences()) {                                 \
    int64_t v = configFlags.param.getValue();                                  \
    given += fmt::format(" --{} {}", flag, v);                                 \
    edits.push_back([v](moec::ConfigValues &c) { c.param = v; });              \
  }
#define MOEC_ENUM_KNOB(param, Field, flag, Enum, dflt, help)                   \
  if (configFlags.param.getNumOccurrences()) {                                 \
    std::optional<moec::Enum> v =                                              \
        moec::symbolize##Enum(configFlags.param.getValue());                   \
    if (!v) {                                                                  \
      std::string choices;                                                     \
      for (unsigned i = 0, e = moec::getMaxEnumValFor##Enum(); i <= e; ++i)    \
        choices += (i == 0 ? "" : i == e ? " or " : ", ") +                    \
                   moec::stringify##Enum(static_cast<moec::Enum>(i)).str();    \
      llvm::errs() << fmt::format(                                             \
          "moec {}: error: --{} '{}' is not valid; expected {}\n", cmd, flag,  \
          configFlags.param.getValue(), choices);                              \
      return failure();                                                        \
    }                                                                          \
    given += fmt::format(" --{} {}", flag, configFlags.param.getValue());      \
    edits.push_back([v](moec::ConfigValues &c) { c.param = *v; });             \
  }
#define MOEC_BOOL_KNOB(param, Field, flag, dflt, help)                         \
  if (configFlags.param.getNumOccurrences()) {                                 \
    bool v = configFlags.param.getValue();                                     \
    given += v ? fmt::format(" --{}", flag)                                    \
               : fmt::format(" --{}=false", flag);                             \
    edits.push_back([v](moec::ConfigValues &c) { c.param = v; });              \
  }
#include "moec/Dialect/ConfigKnobs.def"
  configFlagsGiven = !edits.empty();
  if (edits.empty())
    return success();

  WalkResult result = module.walk([&](Operation *op) {
    auto cfg = op->getAttrOfType<moec::ConfigAttr>("config");
    if (!cfg)
      return WalkResult::advance();
    auto emitError = [&] {
      return op->emitError() << "with" << given << ": ";
    };
    moec::ConfigValues values(cfg);
    for (auto &edit : edits)
      edit(values);
    moec::ConfigAttr updated =
        values.toAttrChecked(emitError, op->getContext());
    if (!updated)
      return WalkResult::interrupt();
    op->setAttr("config", updated);
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// Attaches `--arch` (or keeps the file's `moec.target`); fails with a
/// message when neither names a known target.
LogicalResult attachTarget(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  if (arch.empty()) {
    // One that is not a #moec.target is reported by the verifier.
    if (module->hasAttr(moec::MoecDialect::kTargetAttrName))
      return success();
    llvm::errs() << fmt::format(
        "moec compile: error: no target: pass --arch ({}) or set "
        "moec.target on the module\n",
        moec::knownTargetNames());
    return failure();
  }
  if (!moec::lookupTarget(arch)) {
    llvm::errs() << fmt::format(
        "moec compile: error: --arch '{}' is not a known target; known "
        "targets: {}\n",
        arch.getValue(), moec::knownTargetNames());
    return failure();
  }
  module->setAttr(moec::MoecDialect::kTargetAttrName,
                  moec::TargetAttr::get(ctx, arch));
  return success();
}

/// Parses the input, attaches the target, applies the flag overrides and
/// verifies. Null (after a diagnostic) on any error.
OwningOpRef<ModuleOp> loadVerifiedModule(MLIRContext &context,
                                         llvm::SourceMgr &sourceMgr,
                                         const char *cmd) {
  // Read (bounded, never mapped): /dev/zero is refused, and a file that
  // someone truncates later cannot raise SIGBUS when a diagnostic quotes it.
  std::string text;
  if (std::string err = moec::support::readInputFile(inputFile, text);
      !err.empty()) {
    llvm::errs() << "moec " << cmd << ": error: " << err << "\n";
    return nullptr;
  }
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          text, inputFile == "-" ? "<stdin>" : inputFile.getValue()),
      llvm::SMLoc());
  // Verify only once --arch and the flag overrides are applied: the file's
  // own moec.target and config are what the flags replace, so checking them
  // first would reject e.g. a gfx950 file with kpack = 2 that is compiled
  // with --kpack 1 or --arch gfx942.
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(
      sourceMgr, ParserConfig(&context, /*verifyAfterParse=*/false));
  if (!module)
    return nullptr;
  bool hasKernel = false;
  module->walk([&](Operation *op) {
    if (isa<moec::MoecDialect>(op->getDialect()))
      hasKernel = true;
  });
  if (!hasKernel) {
    llvm::errs() << fmt::format(
        "moec {}: error: {}: no moec op (gemm, moe_align, moe_gemm, "
        "sparse_attention) to compile\n",
        cmd, inputFile.getValue());
    return nullptr;
  }
  unconfiguredOps.clear();
  module->walk([&](moec::SparseAttentionOp op) {
    if (!op->getAttr("config")) {
      op->setAttr("config", moec::ConfigValues().toAttr(&context));
      unconfiguredOps.push_back(op);
    }
  });
  if (failed(attachTarget(*module)) || failed(applyConfigOverrides(*module, cmd)) ||
      failed(verify(*module)))
    return nullptr;
  if (configFlagsGiven)
    unconfiguredOps.clear();
  return module;
}

void initContext(MLIRContext &context) {
  context.loadAllAvailableDialects();
  // The source line printed with each diagnostic says enough; the generic
  // form of the op would only bury the message.
  context.printOpOnDiagnostic(false);
}

mlir::DialectRegistry makeRegistry() {
  DialectRegistry registry;
  moec::registerMoecDialects(registry);
  return registry;
}

int runRunOrBench(bool bench) {
  const char *cmd = bench ? "bench" : "run";
  MLIRContext context(makeRegistry());
  initContext(context);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = loadVerifiedModule(context, sourceMgr, cmd);
  if (!module)
    return 1;
  moec::tool::RunOptions opts;
  if (!parseSizes(cmd, opts.sizes))
    return 1;
  opts.configPerShape = unconfiguredOps;
  if (seed.getNumOccurrences())
    opts.seed = seed;
  opts.deviceIndex = deviceIndex;
  opts.verbose = verbose;
  opts.bench = bench;
  opts.emulate = emulateOpt;
  opts.warmup = warmup;
  opts.repeat = std::max(1, repeat.getValue());
  opts.jsonOut = jsonOut;
  opts.indexPattern = indexPattern;
  module->walk([&](Operation *op) {
    if (auto cfg = op->getAttrOfType<moec::ConfigAttr>("config")) {
      std::string s;
      llvm::raw_string_ostream os(s);
      mlir::Attribute(cfg).print(os);
      opts.configLabel = s;
    }
  });
  if (tokensOpt.getNumOccurrences())
    opts.tokens = tokensOpt;
  opts.routing = routingOpt;
  bool moe = false;
  module->walk([&](Operation *op) {
    moe |= isa<moec::MoeAlignOp, moec::MoeGemmOp, moec::ActAndMulOp>(op);
  });
  if (moe)
    return moec::tool::runMoe(*module, opts);
  return moec::tool::runGemm(*module, opts);
}

/// What -o's extension asks for, or "" when it does not say.
std::string emitOfExtension(llvm::StringRef path) {
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext == ".mlir")
    return "mlir";
  if (ext == ".ll")
    return "llvm";
  if (ext == ".s")
    return "asm";
  if (ext == ".o")
    return "obj";
  if (ext == ".hsaco")
    return "hsaco";
  if (ext == ".ptx")
    return "ptx";
  return "";
}

int runCompile() {
  static const char *kinds[] = {"mlir", "kernels", "llvm", "asm",
                                 "obj",  "hsaco",   "ptx"};
  if (emit.getNumOccurrences() &&
      !llvm::is_contained(kinds, emit.getValue())) {
    llvm::errs() << fmt::format(
        "moec compile: error: --emit '{}' is not valid; expected mlir, "
        "kernels, llvm, asm, obj, hsaco or ptx\n",
        emit.getValue());
    return 1;
  }

  if (outputFile.getNumOccurrences() &&
      moec::support::sameFile(outputFile, inputFile)) {
    llvm::errs() << fmt::format(
        "moec compile: error: -o {} is the input file {}; refusing to "
        "overwrite it (name another output)\n",
        outputFile.getValue(), inputFile.getValue());
    return 1;
  }

  MLIRContext context(makeRegistry());
  initContext(context);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module =
      loadVerifiedModule(context, sourceMgr, "compile");
  if (!module)
    return 1;
  std::map<std::string, int64_t> sizeValues;
  if (!parseSizes("compile", sizeValues))
    return 1;
  if (failed(moec::tool::chooseAttentionConfigs(unconfiguredOps, sizeValues,
                                                "", verbose, "compile")))
    return 1;

  auto targetAttr = module->getOperation()->getAttrOfType<moec::TargetAttr>(
      moec::MoecDialect::kTargetAttrName);
  const moec::TargetInfo &target = *moec::lookupTarget(targetAttr.getChip());

  // What to write: --emit, else what -o's extension says, else the
  // target's code object; where: -o, else <input>.<arch>.<ext> for a code
  // object (stdout for text, and for input from stdin).
  std::string emit = ::emit.getValue();
  bool defaulted = false;
  if (!::emit.getNumOccurrences()) {
    emit = outputFile.getNumOccurrences() ? emitOfExtension(outputFile) : "";
    if (emit.empty()) {
      emit = target.isNVPTX() ? "ptx" : target.isHost() ? "obj" : "hsaco";
      defaulted = true;
    }
  }
  std::string outPath = outputFile.getNumOccurrences() ? outputFile.getValue()
                                                       : std::string("-");
  if (defaulted && !outputFile.getNumOccurrences() && inputFile != "-") {
    llvm::StringRef stem = inputFile.getValue();
    stem.consume_back(".mlir");
    outPath = fmt::format("{}.{}.{}", stem.str(), target.chip.str(),
                          emit == "obj" ? "o" : emit);
  }
  if (verbose)
    llvm::errs() << fmt::format("moec compile: writing {} to {}\n", emit,
                                outPath == "-" ? "stdout" : outPath);

  // The output is built in memory and written only on success, through a
  // temporary file renamed over the target: a failed compile leaves the old
  // file (and an input named as the output) untouched.
  std::string result;
  llvm::raw_string_ostream output(result);
  auto finish = [&]() -> int {
    moec::support::AtomicWriteOptions options;
    options.onTempCreated = [](const std::string &temp) {
      llvm::sys::RemoveFileOnSignal(temp);
    };
    options.onTempGone = [](const std::string &temp) {
      llvm::sys::DontRemoveFileOnSignal(temp);
    };
    if (std::string err =
            moec::support::writeFileAtomically(outPath, result, options);
        !err.empty()) {
      llvm::errs() << "moec compile: error: " << err << "\n";
      return 1;
    }
    return 0;
  };
  if (emit == "mlir") {
    module->print(output);
    output << "\n";
    return finish();
  }

  // Lower: moec ops -> kernels -> the target's LLVM dialect.
  bool binary = emit == "asm" || emit == "obj" || emit == "hsaco" ||
                emit == "ptx";
  bool hostObj = target.isHost() && emit == "obj";
  if (binary && !hostObj &&
      ((emit == "ptx") != target.isNVPTX() || target.isHost())) {
    llvm::errs() << fmt::format(
        "moec compile: error: {} {} does not apply to --arch {} ({})\n",
        ::emit.getNumOccurrences() ? "--emit" : "-o's extension asks for",
        emit, target.chip.str(),
        target.isNVPTX() ? "NVIDIA targets emit ptx"
        : target.isHost() ? "the host target emits obj, mlir, kernels or "
                            "llvm"
                          : "AMD targets emit asm, obj or hsaco");
    return 1;
  }
  if (hostObj) {
    // The object the JIT caches: host kernels with their packed entry
    // points (`_mlir_<kernel>`), as moec/Jit loads them.
    moec::CompileOptions copts;
    copts.hostObject = true;
    auto compiled = moec::compileModule(*module, copts);
    if (failed(compiled))
      return 1;
    output << compiled->image;
    return finish();
  }
  if (verbose && target.isNVPTX())
    llvm::errs() << fmt::format("moec compile: note: waves_per_eu, "
                                "matrix_instr_nonkdim and kpack are AMD-only "
                                "and ignored on {}\n",
                                target.chip.str());
  PassManager pm(&context);
  moec::buildLoweringPipeline(pm, target);
  if (failed(pm.run(*module)))
    return 1;
  if (emit == "kernels") {
    module->print(output);
    output << "\n";
    return finish();
  }
  if (emit == "llvm") {
    llvm::LLVMContext llvmContext;
    auto llvmModule =
        moec::translateKernelsToLLVMIR(*module, target, llvmContext);
    if (failed(llvmModule))
      return 1;
    (*llvmModule)->print(output, nullptr);
    return finish();
  }
  moec::DeviceImageKind kind = emit == "asm"   ? moec::DeviceImageKind::Assembly
                               : emit == "obj" ? moec::DeviceImageKind::Object
                                               : moec::DeviceImageKind::Loadable;
  FailureOr<std::string> image = moec::emitDeviceImage(*module, target, kind);
  if (failed(image))
    return 1;
  output << *image;
  return finish();
}

/// The real file system, except that a response file (`@file`) must be a
/// regular file or a pipe of bounded size: `moec @/dev/zero` is refused
/// instead of reading forever.
class BoundedInputFileSystem : public llvm::vfs::ProxyFileSystem {
public:
  BoundedInputFileSystem()
      : ProxyFileSystem(llvm::vfs::getRealFileSystem()) {}
  llvm::ErrorOr<std::unique_ptr<llvm::vfs::File>>
  openFileForRead(const llvm::Twine &path) override {
    std::string why = moec::support::checkReadableInput(
        path.str(), kMaxResponseFileBytes);
    if (!why.empty()) {
      refusal = why;
      return std::make_error_code(std::errc::invalid_argument);
    }
    return ProxyFileSystem::openFileForRead(path);
  }
  static constexpr uint64_t kMaxResponseFileBytes = uint64_t(1) << 20;
  std::string refusal;
};

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  // Past a file size limit (ulimit -f), a write fails with EFBIG, which is
  // reported with the file's name, instead of SIGXFSZ killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  // Expand response files here, through a file system that refuses devices
  // and huge files, before the command-line parser (which would read them
  // without a bound) sees the arguments.
  llvm::SmallVector<const char *, 32> args(argv, argv + argc);
  llvm::BumpPtrAllocator alloc;
  BoundedInputFileSystem fs;
  llvm::cl::ExpansionContext expansion(alloc, llvm::cl::TokenizeGNUCommandLine,
                                       &fs);
  if (llvm::Error err = expansion.expandResponseFiles(args)) {
    llvm::errs() << "moec: error: "
                 << (fs.refusal.empty() ? llvm::toString(std::move(err))
                                        : (llvm::consumeError(std::move(err)),
                                           fs.refusal))
                 << "\n";
    return 1;
  }
  if (!fs.refusal.empty()) {
    llvm::errs() << "moec: error: " << fs.refusal << "\n";
    return 1;
  }
  argc = static_cast<int>(args.size());
  argv = const_cast<char **>(args.data());
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "moec " << moec::kVersion << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << ")\n";
  });
  // `moec --help` lists moec's options only: LLVM's and MLIR's own (all in
  // the top-level command, unusable with a subcommand) move to
  // --help-hidden.
  for (auto &entry : cl::getRegisteredOptions(cl::SubCommand::getTopLevel())) {
    llvm::StringRef name = entry.first;
    if (name == "help" || name == "help-list" || name == "version" ||
        name == "help-hidden" || name == "help-list-hidden")
      continue;
    if (entry.second->getOptionHiddenFlag() == cl::NotHidden)
      entry.second->setHiddenFlag(cl::Hidden);
  }
  cl::ParseCommandLineOptions(
      argc, argv,
      "moec: a JIT kernel compiler for GEMM, fused-MoE and sparse attention\n\n"
      "  moec compile moe.mlir --arch gfx942 --block-m 64 --emit mlir\n");

  if (compileCmd)
    return runCompile();
  if (runCmd)
    return runRunOrBench(/*bench=*/false);
  if (benchCmd)
    return runRunOrBench(/*bench=*/true);
  if (inspectCmd)
    return runInspect(inspectArgs);
  if (tuneCmd)
    return runTune(tuneArgs);
  if (dbCmd)
    return runDb(dbArgs);
  if (cacheCmd)
    return runCache(cacheArgs);
  llvm::errs() << "moec: error: expected a subcommand: compile, tune, bench, "
                  "inspect, run, db or cache (see moec --help)\n";
  return 1;
}
