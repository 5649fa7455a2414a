//===- moec-translate.cpp - drive lib/Target from an LLVM IR file ---------===//
//
//   moec-translate IN.ll --arch gfx942 --emit asm|obj|hsaco|ptx
//                  [--link-via auto|lld|comgr] [-O N] [--code-object-version N]
//                  [--features FEATURES] [--no-opt] [-o OUT] [-v] [--time N]
//   moec-translate --print-comgr
//
// A developer tool for lit: it runs moec's own emission and linking API
// (include/moec/Target/Backend.h) on an .ll file, the same code the compiler
// runs after lowering. `--time N` compiles N times and prints the median of
// each phase to stderr.
//
//===----------------------------------------------------------------------===//

#include "moec/Target/Backend.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IRReader/IRReader.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace cl = llvm::cl;
using namespace moec;

namespace {

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input .ll/.bc>"));
cl::opt<std::string> outputFile("o", cl::desc("Output file (default: stdout)"),
                                cl::value_desc("file"), cl::init("-"));
cl::opt<std::string> arch("arch", cl::desc("gfx90a, gfx942, gfx950, sm_80, "
                                           "sm_90"));
cl::opt<std::string> emit("emit", cl::desc("asm | obj | hsaco | ptx"),
                          cl::init("asm"));
cl::opt<std::string> linkVia("link-via", cl::desc("auto | lld | comgr"),
                             cl::init("auto"));
cl::opt<unsigned> optLevel("O", cl::desc("Optimization level 0..3"), cl::Prefix,
                           cl::init(3));
cl::opt<unsigned> codeObjectVersion("code-object-version",
                                    cl::desc("400, 500 or 600"), cl::init(500));
// Not "mattr": in-process lld registers LLVM's codegen flags (-mattr, -mcpu,
// ...) on its first link, and a second option of the same name aborts.
cl::opt<std::string> features("features",
                              cl::desc("Extra subtarget features, e.g. "
                                       "+xnack or +ptx80"));
cl::opt<bool> noOpt("no-opt", cl::desc("Skip the IR optimization pipeline"));
cl::opt<std::string> irPipeline("ir-pipeline",
                                cl::desc("IR pipeline, opt -passes= syntax "
                                         "(default: moec's for the target)"));
cl::opt<bool> verbose("v", cl::desc("Say which linker made the code object "
                                    "and why"));
cl::opt<bool> printComgr("print-comgr",
                         cl::desc("Print the comgr library found and the "
                                  "ISAs it knows, one per line, then exit"));
cl::opt<unsigned> timeRuns("time",
                           cl::desc("Compile N times; print each phase's "
                                    "median to stderr"),
                           cl::init(0));

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "moec-translate") << message << "\n";
  return 1;
}

double millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0.0 : values[values.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::ParseCommandLineOptions(argc, argv,
                              "moec-translate: LLVM IR to ISA, object, code "
                              "object or PTX through moec's backend API\n");

  if (printComgr) {
    llvm::Expected<ComgrInfo> comgr = queryComgr();
    if (!comgr)
      return fail(llvm::toString(comgr.takeError()));
    llvm::outs() << comgr->describe() << "\n";
    for (const std::string &isa : comgr->isas)
      llvm::outs() << isa << "\n";
    return 0;
  }
  if (inputFile.empty() || arch.empty())
    return fail("expected an input file and --arch (see --help)");

  static const char *kinds[] = {"asm", "obj", "hsaco", "ptx"};
  if (!llvm::is_contained(kinds, emit.getValue()))
    return fail(fmt::format("--emit '{}' is not valid; expected asm, obj, "
                            "hsaco or ptx",
                            emit.getValue()));
  std::optional<LinkVia> via = parseLinkVia(linkVia);
  if (!via)
    return fail(fmt::format("--link-via '{}' is not valid; expected auto, "
                            "lld or comgr",
                            linkVia.getValue()));
  EmitOptions opts;
  opts.optLevel = optLevel;
  opts.optimizeIR = !noOpt;
  opts.irPipeline = irPipeline;
  opts.codeObjectVersion = codeObjectVersion;
  opts.features = features;

  using Clock = std::chrono::steady_clock;
  std::vector<double> parseMs, emitMs, linkMs;
  std::string text;
  std::vector<char> bytes;
  unsigned runs = std::max(1u, timeRuns.getValue());
  for (unsigned run = 0; run < runs; ++run) {
    // The API changes the module, so every run parses it again.
    auto t0 = Clock::now();
    llvm::LLVMContext context;
    llvm::SMDiagnostic diag;
    std::unique_ptr<llvm::Module> module =
        llvm::parseIRFile(inputFile, diag, context);
    if (!module) {
      diag.print("moec-translate", llvm::errs());
      return 1;
    }
    auto t1 = Clock::now();
    parseMs.push_back(millis(t1 - t0));

    if (emit == "asm" || emit == "ptx") {
      llvm::Expected<std::string> out = emit == "ptx"
                                            ? emitPTX(*module, arch, opts)
                                            : emitAssembly(*module, arch, opts);
      if (!out)
        return fail(llvm::toString(out.takeError()));
      emitMs.push_back(millis(Clock::now() - t1));
      text = std::move(*out);
      continue;
    }
    llvm::Expected<std::vector<char>> object =
        emitRelocatableObject(*module, arch, opts);
    if (!object)
      return fail(llvm::toString(object.takeError()));
    auto t2 = Clock::now();
    emitMs.push_back(millis(t2 - t1));
    if (emit == "obj") {
      bytes = std::move(*object);
      continue;
    }
    llvm::Expected<CodeObjectBinary> linked =
        linkCodeObject(*object, arch, *via);
    if (!linked)
      return fail(llvm::toString(linked.takeError()));
    linkMs.push_back(millis(Clock::now() - t2));
    if (verbose && run == 0)
      llvm::errs() << fmt::format("moec-translate: linked by {}{}{}\n",
                                  linkViaName(linked->linkedBy).str(),
                                  linked->reason.empty() ? "" : ": ",
                                  linked->reason);
    bytes = std::move(linked->bytes);
  }

  if (timeRuns > 0) {
    llvm::errs() << fmt::format(
        "moec-translate: {} runs, median ms: parse {:.2f}, optimize+codegen "
        "{:.2f}",
        runs, median(parseMs), median(emitMs));
    if (!linkMs.empty())
      llvm::errs() << fmt::format(", link {:.2f}", median(linkMs));
    llvm::errs() << "\n";
  }

  std::error_code ec;
  bool binary = emit == "obj" || emit == "hsaco";
  llvm::ToolOutputFile output(
      outputFile, ec, binary ? llvm::sys::fs::OF_None : llvm::sys::fs::OF_Text);
  if (ec)
    return fail(fmt::format("cannot write {}: {}", outputFile.getValue(),
                            ec.message()));
  if (binary)
    output.os().write(bytes.data(), bytes.size());
  else
    output.os() << text;
  output.keep();
  return 0;
}
