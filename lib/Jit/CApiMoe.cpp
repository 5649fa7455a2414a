//===- CApiMoe.cpp - moec_fused_moe (include/moec-c/moec.h) ---------------===//

#include "CApiInternal.h"

using namespace moec::jit;
using namespace moec::capi;

namespace {

/// FusedMoeOptions from the C options; `map` backs options.expertMap.
moec_status toOptions(const char *fn, const moec_fused_moe_options *in,
                      FusedMoeOptions &out, Tensor &map, bool placeholder) {
  if (!in)
    return MOEC_OK;
  if (in->activation == MOEC_ACT_NONE || in->activation == MOEC_ACT_SILU)
    out.activation = Activation::Silu;
  else if (in->activation == MOEC_ACT_GELU)
    out.activation = Activation::Gelu;
  else
    return fail(MOEC_ERROR_INVALID_ARGUMENT,
                fmt::format("{}: options->activation {}: MOEC_ACT_SILU or "
                            "MOEC_ACT_GELU expected",
                            fn, in->activation));
  out.unfused = in->unfused != 0;
  if (in->expert_map) {
    moec_tensor copy = *in->expert_map;
    alignas(16) static char dummy[16];
    if (placeholder)
      copy.data = dummy;
    if (moec_status s = toTensor(fn, "options->expert_map", &copy, map);
        s != MOEC_OK)
      return s;
    out.expertMap = &map;
  }
  if (in->w13_config)
    out.w13Config = in->w13_config;
  if (in->w2_config)
    out.w2Config = in->w2_config;
  out.workspace = in->workspace;
  out.workspaceBytes = in->workspace_bytes;
  return MOEC_OK;
}

} // namespace

extern "C" {

moec_status moec_fused_moe(moec_jit *jit, const moec_tensor *hidden,
                           const moec_tensor *w13, const moec_tensor *w2,
                           const moec_tensor *topk_weights,
                           const moec_tensor *topk_ids, const moec_tensor *out,
                           const moec_fused_moe_options *options,
                           void *stream) {
  const char *fn = "moec_fused_moe";
  if (!jit)
    return nullArg(fn, "jit");
  Tensor th, t13, t2, tw, ti, to, map;
  struct In {
    const char *what;
    const moec_tensor *c;
    Tensor *t;
  };
  for (In in : {In{"hidden", hidden, &th}, In{"w13", w13, &t13},
                In{"w2", w2, &t2}, In{"topk_weights", topk_weights, &tw},
                In{"topk_ids", topk_ids, &ti}, In{"out", out, &to}})
    if (moec_status s = toTensor(fn, in.what, in.c, *in.t); s != MOEC_OK)
      return s;
  MOEC_C_GUARD_BEGIN
  FusedMoeOptions opt;
  if (moec_status s = toOptions(fn, options, opt, map, false); s != MOEC_OK)
    return s;
  return fromStatus(jit->jit->fusedMoe(th, t13, t2, tw, ti, to, opt, stream));
  MOEC_C_GUARD_END(fn)
}

moec_status moec_fused_moe_workspace_size(moec_jit *jit,
                                          const moec_tensor *hidden,
                                          const moec_tensor *w13,
                                          const moec_tensor *topk_ids,
                                          const moec_fused_moe_options *options,
                                          size_t *out) {
  const char *fn = "moec_fused_moe_workspace_size";
  if (!out)
    return nullArg(fn, "out");
  *out = 0;
  if (!jit)
    return nullArg(fn, "jit");
  Tensor th, t13, ti, map;
  struct In {
    const char *what;
    const moec_tensor *c;
    Tensor *t;
  };
  alignas(16) static char dummy[16];
  for (In in : {In{"hidden", hidden, &th}, In{"w13", w13, &t13},
                In{"topk_ids", topk_ids, &ti}}) {
    if (!in.c)
      return nullArg(fn, in.what);
    moec_tensor copy = *in.c; // shapes only
    copy.data = dummy;
    if (moec_status s = toTensor(fn, in.what, &copy, *in.t); s != MOEC_OK)
      return s;
  }
  MOEC_C_GUARD_BEGIN
  FusedMoeOptions opt;
  if (moec_status s = toOptions(fn, options, opt, map, true); s != MOEC_OK)
    return s;
  auto bytes = jit->jit->fusedMoeWorkspaceBytes(th, t13, ti, opt);
  if (!bytes.ok())
    return fail(MOEC_ERROR_INVALID_ARGUMENT, bytes.message());
  *out = *bytes;
  return MOEC_OK;
  MOEC_C_GUARD_END(fn)
}

} // extern "C"
