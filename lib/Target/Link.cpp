//===- Link.cpp - relocatable object to code object: lld or comgr ---------===//
//
// A code object (hsaco) is an ELF shared object; ROCm's clang makes it with
// `ld.lld -shared` (plus --no-undefined and the amdgpu emulation). moec runs
// lld's ELF driver inside its own process, so no ld.lld needs to be installed
// where moec runs, or asks comgr to do the same link.
//
//===----------------------------------------------------------------------===//

#include "Comgr.h"

#include "moec/Target/Backend.h"
#include "moec/Target/TargetInfo.h"

#include "lld/Common/Driver.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Plugins/PassPlugin.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <mutex>
#include <utility>
#include <vector>

LLD_HAS_DRIVER(elf)

// lld's ELF driver initializes every backend LLVM was built with, and its
// LTO asks every static pass-plugin extension (Polly) for its passes; moec
// never uses LTO (its inputs are objects, not bitcode). The backends and
// extensions moec does not link get empty entry points, so that linking lld
// does not pull in all of them; the list comes from CMake
// (cmake/MoecStaticLLVM.cmake), which leaves out everything it links.
#define MOEC_UNLINKED_TARGET(T)                                                \
  extern "C" void LLVMInitialize##T##TargetInfo() {}                           \
  extern "C" void LLVMInitialize##T##Target() {}                               \
  extern "C" void LLVMInitialize##T##TargetMC() {}                             \
  extern "C" void LLVMInitialize##T##AsmPrinter() {}                           \
  extern "C" void LLVMInitialize##T##AsmParser() {}
#define MOEC_UNLINKED_EXTENSION(E)                                             \
  llvm::PassPluginLibraryInfo get##E##PluginInfo();                            \
  llvm::PassPluginLibraryInfo get##E##PluginInfo() {                           \
    return {LLVM_PLUGIN_API_VERSION, #E " (not linked into moec)", "",         \
            [](llvm::PassBuilder &) {}};                                       \
  }
#include "moec/Target/UnlinkedTargets.def"
#undef MOEC_UNLINKED_TARGET
#undef MOEC_UNLINKED_EXTENSION

using namespace moec;
using llvm::Expected;

namespace {

llvm::Error makeError(std::string message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// lld's ELF driver calls cl::ResetAllOptionOccurrences() (so that it can
/// parse -mllvm options afresh), which puts every llvm::cl option of the
/// process back to its default: the host program's own flags (`moec -o`,
/// `--arch`) and any -mllvm backend knobs. While lld runs, this takes the
/// options registered so far out of the parser's tables so that the reset
/// cannot reach them, and puts them back afterwards next to those lld
/// registered meanwhile (LLVM's codegen flags, -mcpu, -mattr, ...; on a name
/// clash the program's option stays).
class ClOptionShield {
public:
  ClOptionShield() {
    for (llvm::cl::SubCommand *sub : llvm::cl::getRegisteredSubcommands()) {
      Detached &d = detached.emplace_back();
      d.sub = sub;
      std::swap(d.options, sub->OptionsMap);
      std::swap(d.positional, sub->PositionalOpts);
      std::swap(d.sink, sub->SinkOpts);
      d.consumeAfter = std::exchange(sub->ConsumeAfterOpt, nullptr);
    }
  }
  ~ClOptionShield() {
    for (Detached &d : detached) {
      llvm::cl::SubCommand *sub = d.sub;
      for (auto &entry : sub->OptionsMap)
        d.options.try_emplace(entry.first, entry.second);
      d.positional.append(sub->PositionalOpts.begin(),
                          sub->PositionalOpts.end());
      d.sink.append(sub->SinkOpts.begin(), sub->SinkOpts.end());
      if (!d.consumeAfter)
        d.consumeAfter = sub->ConsumeAfterOpt;
      sub->OptionsMap = std::move(d.options);
      sub->PositionalOpts = std::move(d.positional);
      sub->SinkOpts = std::move(d.sink);
      sub->ConsumeAfterOpt = d.consumeAfter;
    }
  }
  ClOptionShield(const ClOptionShield &) = delete;
  ClOptionShield &operator=(const ClOptionShield &) = delete;

private:
  struct Detached {
    llvm::cl::SubCommand *sub = nullptr;
    decltype(llvm::cl::SubCommand::OptionsMap) options;
    decltype(llvm::cl::SubCommand::PositionalOpts) positional;
    decltype(llvm::cl::SubCommand::SinkOpts) sink;
    llvm::cl::Option *consumeAfter = nullptr;
  };
  std::vector<Detached> detached;
};

/// Links with lld in this process. lld keeps global state while it runs, so
/// one link at a time; files go through a private temporary directory.
Expected<std::vector<char>> linkWithLld(llvm::ArrayRef<char> object,
                                        llvm::StringRef chip) {
  static std::mutex mutex;
  static bool crashed = false;
  std::lock_guard<std::mutex> lock(mutex);
  if (crashed)
    return makeError("in-process lld crashed in an earlier link and cannot "
                     "run again in this process");

  llvm::SmallString<128> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("moec-lld", dir))
    return makeError(fmt::format("cannot create a temporary directory for "
                                 "lld: {}",
                                 ec.message()));
  llvm::scope_exit removeDir([&] { llvm::sys::fs::remove_directories(dir); });

  llvm::SmallString<128> input(dir), output(dir);
  llvm::sys::path::append(input, chip + ".o");
  llvm::sys::path::append(output, chip + ".hsaco");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(input, ec, llvm::sys::fs::OF_None);
    if (!ec) {
      os.write(object.data(), object.size());
      os.close();
      ec = os.error();
    }
    if (ec)
      return makeError(
          fmt::format("cannot write {}: {}", input.str().str(), ec.message()));
  }

  const char *args[] = {"ld.lld",  "-m", "elf64_amdgpu", "--no-undefined",
                        "-shared", "-o", output.c_str(), input.c_str()};
  std::string out, err;
  llvm::raw_string_ostream outStream(out), errStream(err);
  lld::Result result = [&] {
    ClOptionShield shield;
    return lld::lldMain(args, outStream, errStream,
                        {{lld::Gnu, &lld::elf::link}});
  }();
  if (!result.canRunAgain)
    crashed = true;
  if (result.retCode != 0)
    return makeError(fmt::format("lld could not link a code object for {}: {}",
                                 chip.str(),
                                 llvm::StringRef(err).trim().str()));

  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> linked =
      llvm::MemoryBuffer::getFile(output, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!linked)
    return makeError(fmt::format("lld wrote no readable {}: {}",
                                 output.str().str(),
                                 linked.getError().message()));
  return std::vector<char>((*linked)->getBufferStart(),
                           (*linked)->getBufferEnd());
}

} // namespace

llvm::StringRef moec::linkViaName(LinkVia via) {
  switch (via) {
  case LinkVia::Auto:
    return "auto";
  case LinkVia::Lld:
    return "lld";
  case LinkVia::Comgr:
    return "comgr";
  }
  return "?";
}

std::optional<LinkVia> moec::parseLinkVia(llvm::StringRef name) {
  for (LinkVia via : {LinkVia::Auto, LinkVia::Lld, LinkVia::Comgr})
    if (linkViaName(via) == name)
      return via;
  return std::nullopt;
}

Expected<CodeObjectBinary> moec::linkCodeObject(llvm::ArrayRef<char> object,
                                                llvm::StringRef chip,
                                                LinkVia via) {
  const TargetInfo *target = lookupTarget(chip);
  if (!target || !target->isAMDGPU())
    return makeError(fmt::format("linkCodeObject: '{}' is not an AMDGPU "
                                 "target (gfx90a, gfx942, gfx950)",
                                 chip.str()));

  std::string reason;
  if (via == LinkVia::Auto) {
    Expected<ComgrInfo> comgr = queryComgr();
    if (!comgr) {
      reason = llvm::toString(comgr.takeError());
      via = LinkVia::Lld;
    } else if (!comgr->knowsChip(chip)) {
      reason =
          fmt::format("{} does not know {}", comgr->describe(), chip.str());
      via = LinkVia::Lld;
    } else {
      reason = fmt::format("{} knows {}", comgr->describe(), chip.str());
      via = LinkVia::Comgr;
    }
  }

  Expected<std::vector<char>> bytes = via == LinkVia::Comgr
                                          ? detail::linkWithComgr(object, chip)
                                          : linkWithLld(object, chip);
  if (!bytes)
    return bytes.takeError();
  return CodeObjectBinary{std::move(*bytes), via, std::move(reason)};
}
