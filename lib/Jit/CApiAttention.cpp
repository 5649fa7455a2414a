//===- CApiAttention.cpp - moec_sparse_mla_decode (include/moec-c/moec.h) -===//

#include "CApiInternal.h"

using namespace moec::jit;
using namespace moec::capi;

extern "C" {

moec_status moec_sparse_mla_decode(moec_jit *jit, const moec_tensor *q,
                                   const moec_tensor *kv_cache,
                                   const moec_tensor *indices,
                                   const moec_tensor *out,
                                   const moec_tensor *lse,
                                   const moec_sparse_mla_options *options,
                                   void *stream) {
  const char *fn = "moec_sparse_mla_decode";
  if (!jit)
    return nullArg(fn, "jit");
  Tensor tq, tkv, tidx, tout, tlse;
  struct In {
    const char *what;
    const moec_tensor *c;
    Tensor *t;
  };
  for (In in : {In{"q", q, &tq}, In{"kv_cache", kv_cache, &tkv},
                In{"indices", indices, &tidx}, In{"out", out, &tout}})
    if (moec_status s = toTensor(fn, in.what, in.c, *in.t); s != MOEC_OK)
      return s;
  if (lse)
    if (moec_status s = toTensor(fn, "lse", lse, tlse); s != MOEC_OK)
      return s;
  MOEC_C_GUARD_BEGIN
  SparseMlaOptions opt;
  if (options) {
    if (options->has_scale)
      opt.scale = options->scale;
    if (options->config)
      opt.config = options->config;
    opt.workspace = options->workspace;
    opt.workspaceBytes = options->workspace_bytes;
  }
  return fromStatus(jit->jit->sparseMlaDecode(tq, tkv, tidx, tout,
                                              lse ? &tlse : nullptr, opt,
                                              stream));
  MOEC_C_GUARD_END(fn)
}

moec_status moec_sparse_mla_workspace_size(moec_jit *jit, const moec_tensor *q,
                                           const moec_tensor *indices,
                                           int64_t d_v, size_t *out) {
  const char *fn = "moec_sparse_mla_workspace_size";
  if (!out)
    return nullArg(fn, "out");
  *out = 0;
  if (!jit)
    return nullArg(fn, "jit");
  alignas(16) static char dummy[16];
  Tensor tq, tidx;
  struct In {
    const char *what;
    const moec_tensor *c;
    Tensor *t;
  };
  for (In in : {In{"q", q, &tq}, In{"indices", indices, &tidx}}) {
    if (!in.c)
      return nullArg(fn, in.what);
    moec_tensor copy = *in.c; // shapes only
    copy.data = dummy;
    if (moec_status s = toTensor(fn, in.what, &copy, *in.t); s != MOEC_OK)
      return s;
  }
  MOEC_C_GUARD_BEGIN
  auto bytes = jit->jit->sparseMlaWorkspaceBytes(tq, tidx, d_v);
  if (!bytes.ok())
    return fail(MOEC_ERROR_INVALID_ARGUMENT, bytes.message());
  *out = *bytes;
  return MOEC_OK;
  MOEC_C_GUARD_END(fn)
}

} // extern "C"
