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
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/xxhash.h"

#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace moec {
struct TargetInfo;
namespace tuning {
struct Candidate;
}
} // namespace moec

namespace moec::jit::internal {

/// The hash of a request key whose bytes are its value (plain fields, the
/// padding spelled out as zeroed members): the op entry points' maps are
/// keyed by such structs and looked up on every call.
template <class Key> struct KeyBytesHash {
  static_assert(std::has_unique_object_representations_v<Key>,
                "a key hashed by its bytes must have no implicit padding");
  size_t operator()(const Key &k) const {
    return static_cast<size_t>(llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(&k), sizeof(Key))));
  }
};

/// One compiled and loaded kernel, ready to launch.
struct Variant {
  rt::Kernel kernel;
  std::shared_ptr<rt::Module> module;
  int64_t blockM = 0, blockN = 0;
  int64_t workgroupSize = 1;
  size_t sharedBytes = 0;
  VariantInfo info;
  /// The module's further kernels, in order (sparse_attention's merge).
  std::vector<rt::Kernel> more;
};

/// fused_moe's variants and workspace (JitMoe.cpp); destroyed before the
/// rest of Jit::Impl.
struct MoeState;
struct MoeStateDeleter {
  void operator()(MoeState *state) const;
};
std::unique_ptr<MoeState, MoeStateDeleter> &moeState(Jit::Impl &impl);

/// sparse_mla_decode's variants and workspace (JitAttention.cpp).
struct AttentionState;
struct AttentionStateDeleter {
  void operator()(AttentionState *state) const;
};
std::unique_ptr<AttentionState, AttentionStateDeleter> &
attentionState(Jit::Impl &impl);

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
/// Compiles (or finds in the kernel cache) `module`, which must lower to
/// `kernels` kernels, and loads it (the first is Variant::kernel, the rest
/// Variant::more). compileMutex is held.
rt::Expected<std::unique_ptr<Variant>>
makeVariant(Jit::Impl &impl, mlir::ModuleOp module,
            const std::string &description, int64_t blockM, int64_t blockN,
            size_t kernels = 1);
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

/// "[2, 3]": a tensor's sizes for error messages (the rank clamped to the
/// sizes' storage, so a malformed rank cannot read past it).
std::string shapeString(const Tensor &t);

/// A tensor argument of an op entry point, named for its errors; a null
/// `t` is an absent optional argument.
struct NamedTensor {
  const char *what;
  const Tensor *t;
};
/// The layout every entry point needs of its tensors: row-major contiguous
/// and a 16-byte aligned base (moec kernels assume aligned base pointers).
/// The error starts with "`op`: " and names the tensor.
rt::Status checkLayouts(const char *op,
                        std::initializer_list<NamedTensor> tensors);

} // namespace moec::jit::internal

#endif // MOEC_LIB_JIT_JITINTERNAL_H
