//===- Jit.h - moec as a JIT inside a serving process -----------*- C++ -*-===//
//
// Compile on first use, cache every variant (moec/Jit/KernelCache.h), launch
// on the caller's stream. A complete program (host device; on a GPU pass
// "cuda:0" or "hip:0" and device pointers plus the framework's stream):
//
//   #include "moec/Jit/Jit.h"
//   #include <cstdio>
//   #include <vector>
//   using namespace moec::jit;
//
//   int main() {
//     auto jit = Jit::create("host");               // "cuda:0", "hip:1", ...
//     if (!jit.ok()) { std::fprintf(stderr, "%s\n", jit.message().c_str()); return 1; }
//     const int64_t M = 37, N = 64, K = 128;
//     std::vector<float> a(M * K, 1.0f), w(N * K, 0.5f), c(M * N);
//     // c = a * w^T: w is stored as a linear layer keeps it (N x K).
//     GemmOptions opt;
//     opt.transposeB = true;
//     rt::Status s = (*jit)->gemm(Tensor::matrix(a.data(), DType::F32, M, K),
//                                 Tensor::matrix(w.data(), DType::F32, N, K),
//                                 Tensor::matrix(c.data(), DType::F32, M, N),
//                                 opt, /*stream=*/nullptr);
//     if (!s.ok()) { std::fprintf(stderr, "%s\n", s.message().c_str()); return 1; }
//     const VariantInfo &v = Jit::lastVariant();     // what was used, and why
//     std::printf("%s: config %s (%s), %s variant, %s\n", v.kernel.c_str(),
//                 v.config.c_str(), toString(v.configSource),
//                 v.aligned ? "aligned" : "generic", toString(v.cacheSource));
//     // A whole module: any .mlir with moec ops, launched by entry point.
//     auto mod = (*jit)->loadModuleFile("examples/gemm.mlir");
//     // (*jit)->launch(**mod, "mlp_down", tensors, 3, stream);
//     return 0;
//   }
//
// Link moec::jit (find_package(moec)).
//
// Variants. A request is reduced to a variant key: the op's signature (dtypes,
// transposes, bias, activation), the config, and the specialization Triton
// makes: whether every leading dimension is a multiple of 16 bytes (then the
// `moec.assume_aligned` kernel, else the generic one that tests it at run
// time). All of M, N and K stay dynamic in the compiled kernel, so a new M
// never compiles anything; the heuristic config may change with M's size
// class (four classes), which is at most four variants.
//
// Base pointers must be 16-byte aligned (the kernels' vector accesses assume
// it); an unaligned pointer is an error naming the operand.
//
// Config: an explicit GemmOptions::config, else the tuning database
// ($MOEC_TUNING_DB, the files `moec tune` writes, through lib/Tuning's
// TuningDB::lookupOrReport: a miss is reported once per shape with the
// fallback; setTuningDatabase replaces it), else a heuristic per shape class
// and target. Jit::lastVariant() says which; MOEC_LOG=info logs it when a
// request first resolves. With a database or $MOEC_SHAPE_LOG on, requests
// resolve per distinct (M, N, K) (each new shape takes the slow path once,
// compiling nothing when its config's variant is loaded), and each distinct
// gemm request is appended once to the shape log (lib/Tuning ShapeLog, the
// records `moec run` writes) for `moec tune --shapes`. MOEC_TUNE=1 (with
// MOEC_TUNING_DB): a database miss outside graph capture is tuned on the
// spot over the small space and recorded in the first directory.
//
// The hot path (a variant already made): no allocation, no lock but a shared
// one, no host synchronization; the launch goes to `stream`. A variant that
// must be compiled or read from disk while `stream` is being captured into a
// CUDA graph is an error ("warm up before capturing"), not a hang.
//
// Threads: a Jit may be used from many threads at once. Kernels compile
// under one lock per Jit (an MLIRContext is shared); cache lookups of
// different keys proceed in parallel.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_JIT_JIT_H
#define MOEC_JIT_JIT_H

#include "moec/Jit/KernelCache.h"
#include "moec/Runtime/Runtime.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace moec::jit {

namespace rt = ::moec::rt;

/// I32: routing indices (fused_moe's topk_ids, expert_map); no GEMM takes it.
/// The 8-bit types are fused_moe's quantized weights and their scales only:
/// F8E4M3FN (OCP fp8: sm_90, gfx950) / F8E4M3FNUZ (gfx942) for fp8_w8a8,
/// I8 for int8_w8a16 and for MXFP4's packed e2m1 pairs, F8E8M0FNU for
/// MXFP4's scales.
enum class DType : int {
  F16 = 0,
  BF16 = 1,
  F32 = 2,
  I32 = 3,
  F8E4M3FN = 4,
  F8E4M3FNUZ = 5,
  I8 = 6,
  F8E8M0FNU = 7,
};
size_t dtypeBytes(DType dtype);
/// "f16", "bf16", "f32", "i32", "f8E4M3FN", "f8E4M3FNUZ", "i8",
/// "f8E8M0FNU" (MLIR spelling).
const char *toString(DType dtype);
/// f16, bf16 or f32: what gemm and the float operands of the other ops take.
bool isFloatDType(DType dtype);

/// A tensor the caller owns: device address (host address on the host
/// device), element type, sizes and strides in elements.
struct Tensor {
  static constexpr int kMaxRank = 4;
  void *data = nullptr;
  DType dtype = DType::F32;
  int rank = 0;
  int64_t sizes[kMaxRank] = {};
  /// Strides in elements. All zero: row-major (contiguous).
  int64_t strides[kMaxRank] = {};

  /// A row-major rows x cols matrix.
  static Tensor matrix(void *data, DType dtype, int64_t rows, int64_t cols);
  /// A vector of n elements.
  static Tensor vector(void *data, DType dtype, int64_t n);
  /// Whether the strides are row-major for the sizes (or all zero).
  bool isRowMajor() const;
};

enum class Activation : int { None = 0, Relu, Silu, Gelu, GeluTanh };
/// "none", "relu", "silu", "gelu", "gelu_tanh" (moec.activation spelling).
const char *toString(Activation act);

/// Where a variant's config came from.
enum class ConfigSource : int { Override = 0, TuningDatabase, Heuristic, File };
const char *toString(ConfigSource source);

struct GemmOptions {
  /// A is K x M / B is N x K (a linear layer's weight). A column-major
  /// operand (strides {1, rows}) is read as the transpose of its row-major
  /// view, so torch's `w.t()` works without a copy.
  bool transposeA = false, transposeB = false;
  /// [N], any of f16/bf16/f32; null: none.
  const Tensor *bias = nullptr;
  Activation activation = Activation::None;
  /// The #moec.config fields to use, e.g. "block_m = 64, block_n = 128";
  /// empty: the tuning database, else the heuristic.
  std::string config;
};

/// A GEMM problem as the tuning database sees it.
struct GemmSignature {
  DType a, b, c;
  bool transposeA, transposeB;
  std::optional<DType> bias;
  Activation activation;
  int64_t m, n, k; ///< the live sizes of the request that needs a config
};

/// What a call used; Jit::lastVariant() returns the calling thread's last.
struct VariantInfo {
  std::string kernel;      ///< kernel name
  std::string config;      ///< the #moec.config attribute, printed
  ConfigSource configSource = ConfigSource::Heuristic;
  bool aligned = false;    ///< the assume-aligned specialization
  CacheSource cacheSource = CacheSource::Compiled; ///< of this call
  std::string keyHex;      ///< the kernel cache key
  double compileMs = 0;    ///< when it was compiled in this process
};

struct JitOptions {
  CacheOptions cache;
};

/// fused_moe's weight quantization (vLLM's use_fp8_w8a8, use_int8_w8a16,
/// and the MXFP4 weights of gpt-oss).
enum class MoeQuant : int {
  None = 0,  ///< w13, w2 of hidden's dtype (f16/bf16)
  Fp8W8A8,   ///< fp8 weights and fp8 activations, f32 scales
  Int8W8A16, ///< i8 weights, per-channel f32 scales, f16/bf16 activations
  Mxfp4,     ///< packed e2m1 weights [E, N, K/2] i8, e8m0 scales per 32 K
};
/// "none", "fp8_w8a8", "int8_w8a16", "mxfp4".
const char *toString(MoeQuant quant);

/// Options of Jit::fusedMoe (the vLLM fused-MoE layer).
struct FusedMoeOptions {
  /// Weight quantization; the scales below must match it (an error names
  /// what is missing or has the wrong shape). N is 2I for w13, H for w2; K
  /// is H for w13, I for w2.
  ///  - Fp8W8A8: w13/w2 F8E4M3FN (or F8E4M3FNUZ on gfx942); w13Scale/w2Scale
  ///    f32 per expert [E] (also [E, 1], [E, 1, 1]), per channel [E, N]
  ///    (also [E, N, 1]) or, with groupN/groupK, block-wise [E, ceil(N /
  ///    groupN), ceil(K / groupK)]. hidden and the intermediate are
  ///    quantized to the weights' fp8 type by a quant_fp8 kernel before
  ///    each GEMM: per [1, groupK] block when block-wise, else per token
  ///    (perTokenActivations) or per tensor, computed per call unless
  ///    a13Scale/a2Scale give static per-tensor scales.
  ///  - Int8W8A16: w13/w2 I8, scales per channel [E, N] (or [E, N, 1]) f32.
  ///  - Mxfp4: w13 [E, 2I, H/2] and w2 [E, H, I/2] I8 (two e2m1 values a
  ///    byte, the even K element in the low nibble), scales [E, N, K/32]
  ///    F8E8M0FNU; hidden bf16; H and I multiples of 32.
  MoeQuant quant = MoeQuant::None;
  const Tensor *w13Scale = nullptr, *w2Scale = nullptr;
  /// fp8_w8a8 block-wise: vLLM's block_shape [groupN, groupK]; 0, 0: not
  /// block-wise. groupK a multiple of 16, groupN a divisor of I.
  int64_t groupN = 0, groupK = 0;
  /// fp8_w8a8, not block-wise: static per-tensor scales ([] or [1] f32) of
  /// hidden (vLLM's a1_scale) and of the intermediate (a2_scale); null:
  /// computed per call.
  const Tensor *a13Scale = nullptr, *a2Scale = nullptr;
  /// fp8_w8a8, not block-wise, computed scales: one per token (vLLM's
  /// per_act_token_quant) instead of one per tensor. A per-tensor scale is
  /// computed by one workgroup (fine for decode batches, slow for large T).
  bool perTokenActivations = false;
  /// The gated activation between the projections: Silu (silu_and_mul) or
  /// Gelu (gelu_and_mul).
  Activation activation = Activation::Silu;
  /// Expert parallelism: [global experts] i32, the local index (into w13/w2)
  /// of each global expert, -1 for an expert on another rank (its copies
  /// contribute nothing here). Null: topk_ids index w13/w2 directly.
  const Tensor *expertMap = nullptr;
  /// The unfused path: w13 GEMM -> [tokens, top_k, 2I] -> act_and_mul
  /// kernel -> w2 GEMM (for comparison; the default fuses the activation
  /// into the w13 GEMM's epilogue).
  bool unfused = false;
  /// #moec.config fields of each GEMM ("block_m = 64, block_n = 128");
  /// empty: the tuning database (vLLM's E=..,N=..,device_name=..json files
  /// in $MOEC_TUNING_DB, nearest M; one entry serves both GEMMs, as in
  /// vLLM), else a heuristic. Both GEMMs must share block_m (one moe_align
  /// pads for both).
  std::string w13Config, w2Config;
  /// Scratch of at least fusedMoeWorkspaceBytes() bytes, 16-byte aligned,
  /// on the device (the sorted routing, the [tokens x top_k, I]
  /// intermediate and, for fp8_w8a8, the quantized activations and their
  /// scales). Null: the Jit's own, grown when a call needs more
  /// (growing synchronizes the device and is refused during graph capture;
  /// one stream at a time uses it).
  void *workspace = nullptr;
  size_t workspaceBytes = 0;
};

/// Options of Jit::sparseMlaDecode (DeepSeek-V3.2 sparse MLA decode).
struct SparseMlaOptions {
  /// Softmax scale of q . k; unset: 1 / sqrt(d_qk).
  std::optional<float> scale;
  /// The #moec.config fields ("block_h = 16, block_kv = 64, kv_splits =
  /// 32"); empty: the tuning database (the op=sparse_mla files `moec tune
  /// --op attention` writes, nearest token count), else the per-shape table
  /// (lib/Tuning/SparseMlaConfigs.def).
  std::string config;
  /// Split-KV scratch of at least sparseMlaWorkspaceBytes() bytes, 16-byte
  /// aligned, on the device. Null: the Jit's own, grown when a call needs
  /// more (growing synchronizes the device and is refused during graph
  /// capture; one stream at a time uses it).
  void *workspace = nullptr;
  size_t workspaceBytes = 0;
};

/// A parsed and verified moec module (see Jit::loadModuleFile).
class JitModule;

class Jit {
public:
  /// "host", "cuda:N", "hip:N" ("cuda" = "cuda:0"). The error says why the
  /// device cannot be opened.
  static rt::Expected<std::unique_ptr<Jit>> create(const std::string &device,
                                                   JitOptions options = {});
  ~Jit();

  rt::Device &device() const;
  /// The compiler target of the device: "sm_90", "gfx942", "host".
  const std::string &arch() const;
  KernelCache &cache();

  /// C = act(A x B + bias), compiled for the live dtypes and layouts on first
  /// use. `stream`: CUstream / hipStream_t (null: default stream); host:
  /// ignored, the call returns when C is written.
  rt::Status gemm(const Tensor &a, const Tensor &b, const Tensor &c,
                  const GemmOptions &options = {}, void *stream = nullptr);

  /// The fused-MoE layer of vLLM/SGLang (`fused_experts`), into `out`:
  ///   out[t] = sum_j topk_weights[t, j] *
  ///            W2[e] x act_and_mul(W13[e] x hidden[t]),  e = topk_ids[t, j]
  /// hidden [T, H]; w13 [E, 2I, H] (gate rows first, then up); w2 [E, H, I];
  /// topk_weights [T, top_k] (f32, f16 or bf16); topk_ids [T, top_k] i32
  /// (ids outside [0, E) contribute nothing); out [T, H] (f16, bf16, f32;
  /// overwritten). All row-major; hidden, w13 and w2 of one dtype (f16 or
  /// bf16), or quantized weights (FusedMoeOptions::quant). Built as moe_align -> w13 moe_gemm with the activation
  /// fused -> w2 moe_gemm {a_per_copy, reduce} with the routing weights,
  /// compiled once per (dtypes, E, H, I, top_k, options, config): T stays
  /// dynamic, so a new token count compiles nothing. Launches go to
  /// `stream`; lastVariant() names the three kernels, both configs and where
  /// they came from.
  rt::Status fusedMoe(const Tensor &hidden, const Tensor &w13,
                      const Tensor &w2, const Tensor &topkWeights,
                      const Tensor &topkIds, const Tensor &out,
                      const FusedMoeOptions &options = {},
                      void *stream = nullptr);
  /// The workspace fusedMoe needs for these shapes (any config).
  rt::Expected<size_t> fusedMoeWorkspaceBytes(const Tensor &hidden,
                                              const Tensor &w13,
                                              const Tensor &topkIds,
                                              const FusedMoeOptions &options);

  /// Sparse MLA decode (moec.sparse_attention) into `out`: per token t and
  /// head h, softmax(scale * q[t, h] . kv[i]) over the rows i named by
  /// indices[t, :] (flat rows block * page_size + offset of kv_cache; -1
  /// skipped), times kv[i, :d_v]. q [T, h_q, d_qk] f16/bf16; kv_cache
  /// [blocks, page_size, d_qk] of q's dtype, or DeepSeek-V3.2's fp8 cache
  /// as I8 bytes [blocks, page_size, 656] (kv_format fp8_ds_mla: 512 e4m3fn codes,
  /// 4 f32 scales, 64 bf16 rope a row; then q bf16 with d_qk 576, d_v 512,
  /// out bf16/f32); indices [T, topk] i32; out [T,
  /// h_q, d_v] f16/bf16/f32; lse [T, h_q] f32 or null. All row-major, 16-byte
  /// aligned. Compiled once per (dtypes, h_q, d_qk, d_v, page_size, topk,
  /// config): T and the block count stay dynamic. The KV range is split
  /// (a merge kernel combines the parts) when T x head groups leave the
  /// device's units idle. lastVariant() says where the config came from.
  rt::Status sparseMlaDecode(const Tensor &q, const Tensor &kvCache,
                             const Tensor &indices, const Tensor &out,
                             const Tensor *lse = nullptr,
                             const SparseMlaOptions &options = {},
                             void *stream = nullptr);
  /// The split-KV workspace sparseMlaDecode may need for q's shape, topk
  /// and d_v on this device, whatever the config (0 when the batch fills the
  /// device: no split).
  rt::Expected<size_t> sparseMlaWorkspaceBytes(const Tensor &q,
                                               const Tensor &indices,
                                               int64_t dV);
  /// The tuning database sparseMlaDecode reads instead of $MOEC_TUNING_DB
  /// (tests, or an application's own store); requests resolve again.
  void setSparseMlaTuningDirs(std::vector<std::string> dirs);

  /// A moec module (.mlir text), verified, its target set to this device's.
  rt::Expected<std::shared_ptr<JitModule>>
  loadModuleString(const std::string &text,
                   const std::string &bufferName = "<string>");
  rt::Expected<std::shared_ptr<JitModule>>
  loadModuleFile(const std::string &path);
  /// Runs the moec op of function `entry` of `module`: tensors are the
  /// function's arguments in order; dynamic sizes come from them.
  rt::Status launch(JitModule &module, const std::string &entry,
                    const Tensor *tensors, size_t count,
                    void *stream = nullptr);

  /// The tuning database consulted before the heuristic: returns the
  /// #moec.config fields for a problem on `arch`, or nullopt. Replaces the
  /// default ($MOEC_TUNING_DB when set, else none); null: none.
  using TuningDatabase = std::function<std::optional<std::string>(
      const GemmSignature &, const std::string &arch)>;
  void setTuningDatabase(TuningDatabase database);

  /// The variant the calling thread's last gemm/launch used.
  static const VariantInfo &lastVariant();
  /// Variants made by this Jit (compiled or loaded from disk).
  size_t variantCount() const;
  /// The code object (PTX, hsaco, host ELF object) and kernel name of a
  /// variant this Jit made, by its key (VariantInfo::keyHex): for dumping,
  /// and for benchmarks that launch it through the bare driver.
  rt::Expected<std::pair<std::string, std::string>>
  variantImage(const std::string &keyHex);

  struct Impl;

private:
  explicit Jit(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace moec::jit

#endif // MOEC_JIT_JIT_H
