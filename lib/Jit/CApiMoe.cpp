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

/// The quantization options from C; `scales` backs the four tensors
/// (placeholder: shapes only, data not read).
moec_status toQuant(const char *fn, const moec_fused_moe_quant_options *in,
                    FusedMoeOptions &out, Tensor (&scales)[4],
                    bool placeholder) {
  if (!in)
    return MOEC_OK;
  switch (in->kind) {
  case MOEC_MOE_QUANT_NONE:
    out.quant = MoeQuant::None;
    break;
  case MOEC_MOE_FP8_W8A8:
    out.quant = MoeQuant::Fp8W8A8;
    break;
  case MOEC_MOE_INT8_W8A16:
    out.quant = MoeQuant::Int8W8A16;
    break;
  case MOEC_MOE_MXFP4:
    out.quant = MoeQuant::Mxfp4;
    break;
  default:
    return fail(MOEC_ERROR_INVALID_ARGUMENT,
                fmt::format("{}: quant->kind {}: a moec_moe_quant_kind "
                            "expected",
                            fn, in->kind));
  }
  out.perTokenActivations = in->per_token_activations != 0;
  out.groupN = in->group_n;
  out.groupK = in->group_k;
  struct Field {
    const char *what;
    const moec_tensor *c;
    const Tensor **slot;
  };
  Field fields[4] = {{"quant->w13_scale", in->w13_scale, &out.w13Scale},
                     {"quant->w2_scale", in->w2_scale, &out.w2Scale},
                     {"quant->a13_scale", in->a13_scale, &out.a13Scale},
                     {"quant->a2_scale", in->a2_scale, &out.a2Scale}};
  alignas(16) static char dummy[16];
  for (int i = 0; i < 4; ++i) {
    if (!fields[i].c)
      continue;
    moec_tensor copy = *fields[i].c;
    if (placeholder)
      copy.data = dummy;
    if (moec_status s = toTensor(fn, fields[i].what, &copy, scales[i]);
        s != MOEC_OK)
      return s;
    *fields[i].slot = &scales[i];
  }
  return MOEC_OK;
}

moec_status fusedMoe(const char *fn, moec_jit *jit, const moec_tensor *hidden,
                     const moec_tensor *w13, const moec_tensor *w2,
                     const moec_tensor *topk_weights,
                     const moec_tensor *topk_ids, const moec_tensor *out,
                     const moec_fused_moe_options *options,
                     const moec_fused_moe_quant_options *quant, void *stream) {
  if (!jit)
    return nullArg(fn, "jit");
  Tensor th, t13, t2, tw, ti, to, map, scales[4];
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
  if (moec_status s = toQuant(fn, quant, opt, scales, false); s != MOEC_OK)
    return s;
  return fromStatus(jit->jit->fusedMoe(th, t13, t2, tw, ti, to, opt, stream));
  MOEC_C_GUARD_END(fn)
}

moec_status workspaceSize(const char *fn, moec_jit *jit,
                          const moec_tensor *hidden, const moec_tensor *w13,
                          const moec_tensor *topk_ids,
                          const moec_fused_moe_options *options,
                          const moec_fused_moe_quant_options *quant, size_t *out) {
  if (!out)
    return nullArg(fn, "out");
  *out = 0;
  if (!jit)
    return nullArg(fn, "jit");
  Tensor th, t13, ti, map, scales[4];
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
  if (moec_status s = toQuant(fn, quant, opt, scales, true); s != MOEC_OK)
    return s;
  auto bytes = jit->jit->fusedMoeWorkspaceBytes(th, t13, ti, opt);
  if (!bytes.ok())
    return fail(MOEC_ERROR_INVALID_ARGUMENT, bytes.message());
  *out = *bytes;
  return MOEC_OK;
  MOEC_C_GUARD_END(fn)
}

} // namespace

extern "C" {

moec_status moec_fused_moe_quant(moec_jit *jit, const moec_tensor *hidden,
                                 const moec_tensor *w13, const moec_tensor *w2,
                                 const moec_tensor *topk_weights,
                                 const moec_tensor *topk_ids,
                                 const moec_tensor *out,
                                 const moec_fused_moe_options *options,
                                 const moec_fused_moe_quant_options *quant,
                                 void *stream) {
  return fusedMoe("moec_fused_moe_quant", jit, hidden, w13, w2, topk_weights,
                  topk_ids, out, options, quant, stream);
}

moec_status moec_fused_moe_quant_workspace_size(
    moec_jit *jit, const moec_tensor *hidden, const moec_tensor *w13,
    const moec_tensor *topk_ids, const moec_fused_moe_options *options,
    const moec_fused_moe_quant_options *quant, size_t *out) {
  return workspaceSize("moec_fused_moe_quant_workspace_size", jit, hidden, w13,
                       topk_ids, options, quant, out);
}

moec_status moec_fused_moe(moec_jit *jit, const moec_tensor *hidden,
                           const moec_tensor *w13, const moec_tensor *w2,
                           const moec_tensor *topk_weights,
                           const moec_tensor *topk_ids, const moec_tensor *out,
                           const moec_fused_moe_options *options,
                           void *stream) {
  return fusedMoe("moec_fused_moe", jit, hidden, w13, w2, topk_weights,
                  topk_ids, out, options, nullptr, stream);
}

moec_status moec_fused_moe_workspace_size(moec_jit *jit,
                                          const moec_tensor *hidden,
                                          const moec_tensor *w13,
                                          const moec_tensor *topk_ids,
                                          const moec_fused_moe_options *options,
                                          size_t *out) {
  return workspaceSize("moec_fused_moe_workspace_size", jit, hidden, w13,
                       topk_ids, options, nullptr, out);
}

} // extern "C"
