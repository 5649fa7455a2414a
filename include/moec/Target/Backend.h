//===- Backend.h - LLVM IR to ISA, objects, code objects and PTX -*- C++
//-*-===//
//
// The last steps of moec's pipeline: an llvm::Module holding AMDGPU or NVPTX
// kernels (as MLIR's ROCDL/NVVM translation produces it) goes through LLVM's
// optimization pipeline and a TargetMachine to ISA text, a relocatable object
// or PTX; a relocatable AMDGPU object is then linked into a code object
// (hsaco) by comgr when the installed comgr knows the chip, else by lld linked
// into this process.
//
// Every function here is safe to call from many threads at once, each with
// its own llvm::Module (and so its own LLVMContext).
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TARGET_BACKEND_H
#define MOEC_TARGET_BACKEND_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace llvm {
class Module;
} // namespace llvm

namespace moec {

/// Knobs of code generation. Each one changes the code, so each belongs in a
/// cache key.
struct EmitOptions {
  /// Optimization level of code generation, 0..3, and of the IR pipeline:
  /// LLVM's per-module default pipeline at this level, but at most O1 for
  /// AMDGPU chips (lib/Target/Backend.cpp says why).
  unsigned optLevel = 3;
  /// Run the IR pipeline (new pass manager) before code generation. Off: the
  /// module is compiled as it is.
  bool optimizeIR = true;
  /// The IR pipeline in `opt -passes=` syntax, e.g. "default<O3>" (what
  /// moec ran for AMDGPU before). Empty: $MOEC_IR_PIPELINE when set, else
  /// the default above.
  std::string irPipeline;
  /// AMDGPU code object version: 400, 500 (v5, what ROCm 6 expects) or 600.
  /// Written as the module flag `amdhsa_code_object_version`, replacing one
  /// the module already has.
  unsigned codeObjectVersion = 500;
  /// Subtarget features beyond the chip's defaults, LLVM spelling:
  /// "+xnack,-sramecc" on AMDGPU, "+ptx80" on NVPTX. Empty: the defaults.
  std::string features;
  /// The processor LLVM compiles for where it is not the chip's own name:
  /// "sm_90a" (sm_90 with its architecture-specific instructions, which
  /// wgmma needs; the PTX says `.target sm_90a`). Empty: the chip.
  std::string cpu;
};

/// The first half of the emit functions below: points `module` at `chip`,
/// verifies it and runs the IR pipeline of `opts` (whatever its
/// `optimizeIR`). Then emitting with `optimizeIR` off gives the same result
/// as emitting with it on; for timing the two halves apart.
llvm::Error optimizeModule(llvm::Module &module, llvm::StringRef chip,
                           const EmitOptions &opts = {});

/// Optimizes `module` and returns the chip's assembly: AMDGPU ISA text for a
/// gfx chip, PTX for an sm_ chip. `chip` must be a moec target
/// (moec::lookupTarget). The module is changed in place: its triple and data
/// layout are set from the target, the optimization pipeline runs on it.
/// Fails, naming the problem, when the chip is unknown, the module's triple
/// names another target, or the module does not verify.
llvm::Expected<std::string> emitAssembly(llvm::Module &module,
                                         llvm::StringRef chip,
                                         const EmitOptions &opts = {});

/// As emitAssembly, but returns an ELF relocatable object (AMDGPU chips
/// only): the input of linkCodeObject.
llvm::Expected<std::vector<char>>
emitRelocatableObject(llvm::Module &module, llvm::StringRef chip,
                      const EmitOptions &opts = {});

/// As emitAssembly for an NVIDIA chip (sm_80, sm_90); fails for other chips.
llvm::Expected<std::string> emitPTX(llvm::Module &module,
                                    llvm::StringRef chip = "sm_90",
                                    const EmitOptions &opts = {});

/// Who links a relocatable object into a code object.
enum class LinkVia {
  Auto,  ///< comgr when it can be loaded and knows the chip, else lld
  Lld,   ///< lld's ELF driver, linked into this process
  Comgr, ///< libamd_comgr (opened with dlopen)
};
/// "auto", "lld", "comgr".
llvm::StringRef linkViaName(LinkVia via);
/// The inverse of linkViaName; nullopt for anything else.
std::optional<LinkVia> parseLinkVia(llvm::StringRef name);

/// A linked code object and how it was made.
struct CodeObjectBinary {
  std::vector<char> bytes; ///< the hsaco (ELF shared object)
  LinkVia linkedBy;        ///< Lld or Comgr, never Auto
  /// Why Auto chose what it chose, e.g. "comgr 2.4 does not know gfx942";
  /// empty when the caller named the linker.
  std::string reason;
};

/// Links the relocatable object `object` (from emitRelocatableObject or any
/// AMDGPU compiler) for `chip` into a code object. With LinkVia::Comgr the
/// error says so when comgr cannot be loaded or does not know the chip;
/// LinkVia::Lld uses a private temporary directory that is removed again and
/// puts lld's own messages into the error.
llvm::Expected<CodeObjectBinary> linkCodeObject(llvm::ArrayRef<char> object,
                                                llvm::StringRef chip,
                                                LinkVia via = LinkVia::Auto);

/// emitRelocatableObject, then linkCodeObject.
llvm::Expected<CodeObjectBinary> emitCodeObject(llvm::Module &module,
                                                llvm::StringRef chip,
                                                const EmitOptions &opts = {},
                                                LinkVia via = LinkVia::Auto);

/// The comgr library this process loads (once, on first use).
struct ComgrInfo {
  std::string library;           ///< what dlopen was given
  unsigned major = 0, minor = 0; ///< amd_comgr_get_version
  /// The ISA names it reports, e.g. "amdgcn-amd-amdhsa--gfx90a".
  std::vector<std::string> isas;

  /// Whether it lists `chip` (a plain processor name such as "gfx942").
  bool knowsChip(llvm::StringRef chip) const;
  /// "comgr 2.4 (libamd_comgr.so.2)".
  std::string describe() const;
};

/// Loads comgr if that has not happened yet: `$MOEC_COMGR_LIBRARY` when set,
/// else libamd_comgr.so.2, else libamd_comgr.so.3. The error says why none
/// could be used (not found, or which of the symbols moec calls it lacks).
llvm::Expected<ComgrInfo> queryComgr();

} // namespace moec

#endif // MOEC_TARGET_BACKEND_H
