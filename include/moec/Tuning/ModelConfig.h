//===- ModelConfig.h - MoE GEMM shapes from a Hugging Face config -*- C++ -*-===//
//
// What vLLM's benchmark_moe.py and SGLang's tuning_fused_moe_triton.py derive
// from a model's config.json: the number of experts E, top-k, the hidden size
// and the expert intermediate size, sharded by tensor parallelism (the
// intermediate size is split over --tp-size) or expert parallelism (the
// experts are split over --ep-size, which needs --tp-size 1). The two MoE
// GEMMs per layer are then
//   w13 (gate+up): N = 2 * I / tp, K = hidden
//   w2  (down):    N = hidden,     K = I / tp
// and the config file is named after E and N = I / tp (w2's K, the size
// after silu_and_mul), as those projects name it.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TUNING_MODELCONFIG_H
#define MOEC_TUNING_MODELCONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <utility>

namespace moec::tuning {

struct MoeModelShape {
  std::string architecture; ///< architectures[0]
  int64_t experts = 0;      ///< E on one GPU (after --ep-size)
  int64_t topk = 0;
  int64_t hidden = 0;
  int64_t intermediate = 0; ///< the model's expert intermediate size
  int64_t tp = 1, ep = 1;
  /// quantization_config.weight_block_size ([block_n, block_k]).
  std::optional<std::pair<int64_t, int64_t>> blockShape;

  int64_t shardIntermediate() const { return intermediate / tp; }
  int64_t w13N() const { return 2 * shardIntermediate(); }
  int64_t w13K() const { return hidden; }
  int64_t w2N() const { return hidden; }
  int64_t w2K() const { return shardIntermediate(); }
  /// N of the config file name (vLLM: shard_intermediate_size // 2).
  int64_t fileN() const { return shardIntermediate(); }
};

/// Reads a config.json (Mixtral, DeepSeek-V2/V3, Qwen2-MoE/Qwen3-MoE,
/// Grok-1 layouts; a nested "text_config" is looked into). Errors name the
/// file and the missing key or the size that does not divide.
llvm::Expected<MoeModelShape> deriveMoeShape(llvm::StringRef json,
                                             llvm::StringRef name, int64_t tp,
                                             int64_t ep);

} // namespace moec::tuning

#endif // MOEC_TUNING_MODELCONFIG_H
