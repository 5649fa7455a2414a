//===- ModelConfig.cpp - MoE GEMM shapes from a Hugging Face config -------===//

#include "moec/Tuning/ModelConfig.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"

#include <fmt/format.h>

using namespace moec::tuning;
using llvm::StringRef;
namespace json = llvm::json;

namespace {
llvm::Error errorf(const std::string &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}
} // namespace

llvm::Expected<MoeModelShape>
moec::tuning::deriveMoeShape(StringRef text, StringRef name, int64_t tp,
                             int64_t ep) {
  auto parsed = json::parse(text);
  if (!parsed)
    return errorf(fmt::format("{}: not JSON: {}", name.str(),
                              llvm::toString(parsed.takeError())));
  const json::Object *root = parsed->getAsObject();
  if (!root)
    return errorf(fmt::format("{}: expected a JSON object", name.str()));
  if (tp < 1 || ep < 1)
    return errorf("--tp-size and --ep-size must be at least 1");
  if (ep > 1 && tp != 1)
    return errorf(fmt::format("expert parallelism (--ep-size {}) needs "
                              "--tp-size 1, not {}",
                              ep, tp));
  MoeModelShape s;
  s.tp = tp;
  s.ep = ep;
  if (const json::Array *archs = root->getArray("architectures"))
    if (!archs->empty() && (*archs)[0].getAsString())
      s.architecture = (*archs)[0].getAsString()->str();
  // Multimodal models keep the language model's sizes in text_config.
  const json::Object *cfg = root;
  if (const json::Object *text = root->getObject("text_config"))
    if (!cfg->get("hidden_size"))
      cfg = text;
  auto first = [&](const std::vector<const char *> &keys,
                   const char *what) -> llvm::Expected<int64_t> {
    for (const char *k : keys)
      if (auto v = cfg->getInteger(k))
        return *v;
    std::string list;
    for (const char *k : keys)
      list += (list.empty() ? "" : " or ") + std::string(k);
    return errorf(fmt::format("{}: no {} ({}) for architecture '{}'",
                              name.str(), what, list, s.architecture));
  };
  StringRef arch = s.architecture;
  std::vector<const char *> expertKeys, interKeys;
  if (arch.starts_with("Deepseek") || arch.starts_with("Glm4Moe")) {
    expertKeys = {"n_routed_experts"};
    interKeys = {"moe_intermediate_size"};
  } else if (arch.starts_with("Qwen2Moe") || arch.starts_with("Qwen3Moe") ||
             arch.starts_with("Qwen3VLMoe") || arch.starts_with("Qwen3Next")) {
    expertKeys = {"num_experts"};
    interKeys = {"moe_intermediate_size"};
  } else if (arch.starts_with("Grok1")) {
    expertKeys = {"num_local_experts", "num_experts"};
    interKeys = {"moe_intermediate_size", "intermediate_size"};
  } else if (arch.starts_with("Mixtral") || arch.empty()) {
    expertKeys = {"num_local_experts"};
    interKeys = {"intermediate_size"};
  } else {
    return errorf(fmt::format("{}: architecture '{}' is not one moec knows "
                              "(Mixtral, DeepSeek-V2/V3, Qwen2-MoE, "
                              "Qwen3-MoE, Grok-1)",
                              name.str(), s.architecture));
  }
  auto e = first(expertKeys, "expert count");
  if (!e)
    return e.takeError();
  auto k = first({"num_experts_per_tok"}, "top-k");
  if (!k)
    return k.takeError();
  auto h = first({"hidden_size"}, "hidden size");
  if (!h)
    return h.takeError();
  auto i = first(interKeys, "expert intermediate size");
  if (!i)
    return i.takeError();
  if (*e % ep)
    return errorf(fmt::format("{}: {} experts do not divide over --ep-size "
                              "{}",
                              name.str(), *e, ep));
  if (*i % tp)
    return errorf(fmt::format("{}: intermediate size {} does not divide over "
                              "--tp-size {}",
                              name.str(), *i, tp));
  s.experts = *e / ep;
  s.topk = *k;
  s.hidden = *h;
  s.intermediate = *i;
  if (const json::Object *q = root->getObject("quantization_config"))
    if (const json::Array *bs = q->getArray("weight_block_size"))
      if (bs->size() == 2 && (*bs)[0].getAsInteger() &&
          (*bs)[1].getAsInteger())
        s.blockShape = {*(*bs)[0].getAsInteger(), *(*bs)[1].getAsInteger()};
  return s;
}
