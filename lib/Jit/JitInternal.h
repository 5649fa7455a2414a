//===- JitInternal.h - what the op entry points share with Jit.cpp -*- C++ -*-===//
//
// Private to lib/Jit. Jit::Impl (Jit.cpp) owns the MLIR context, the compile
// lock, the kernel cache and the device; an op-level entry point in its own
// file (JitMoe.cpp: fused_moe) reaches them through these functions, so
// Jit.cpp holds gemm/launch and each further op keeps its own state.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_LIB_JIT_JITINTERNAL_H
#define MOEC_LIB_JIT_JITINTERNAL_H

#include "moec/Jit/Jit.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace moec {
struct TargetInfo;
namespace tuning {
struct Candidate;
}
} // namespace moec

namespace moec::jit::internal {

/// One compiled and loaded kernel, ready to launch.
struct Variant {
  rt::Kernel kernel;
  std::shared_ptr<rt::Module> module;
  int64_t blockM = 0, blockN = 0;
  int64_t workgroupSize = 1;
  size_t sharedBytes = 0;
  VariantInfo info;
};

/// fused_moe's variants and workspace (JitMoe.cpp); destroyed before the
/// rest of Jit::Impl.
struct MoeState;
struct MoeStateDeleter {
  void operator()(MoeState *state) const;
};
std::unique_ptr<MoeState, MoeStateDeleter> &moeState(Jit::Impl &impl);

rt::Device &device(Jit::Impl &impl);
const TargetInfo &target(Jit::Impl &impl);
const std::string &arch(Jit::Impl &impl);
/// Held while parsing, compiling or loading (the MLIRContext is shared).
std::mutex &compileMutex(Jit::Impl &impl);
/// Parses and verifies `text` with this Jit's target attached; the
/// diagnostics go to `error`. compileMutex is held.
mlir::OwningOpRef<mlir::ModuleOp> parse(Jit::Impl &impl,
                                        const std::string &text,
                                        const std::string &name,
                                        std::string &error);
/// Compiles (or finds in the kernel cache) the single-kernel `module` and
/// loads it. compileMutex is held.
rt::Expected<std::unique_ptr<Variant>>
makeVariant(Jit::Impl &impl, mlir::ModuleOp module,
            const std::string &description, int64_t blockM, int64_t blockN);
/// An error when `stream` is being captured into a graph (a variant must
/// not be made then).
rt::Status refuseDuringCapture(Jit::Impl &impl, void *stream,
                               const std::string &what);
/// Counts `n` more variants in Jit::variantCount().
void countVariants(Jit::Impl &impl, size_t n);
/// Sets what Jit::lastVariant() returns on this thread.
void rememberLast(const VariantInfo &info, CacheSource source);
/// The #moec.config fields of a tuning candidate; nullopt with the reason in
/// `error`.
std::optional<std::string> candidateFields(mlir::MLIRContext *ctx,
                                           const tuning::Candidate &cand,
                                           std::string &error);
mlir::MLIRContext *context(Jit::Impl &impl);

} // namespace moec::jit::internal

#endif // MOEC_LIB_JIT_JITINTERNAL_H
