/*===- moec-c/moec.h - the C API of the moec JIT ------------------*- C -*-===*
 *
 * moec as a JIT from C (and from Python through ctypes: python/moec). The
 * library is libmoec.so (CMake: moec::jit_c; pkg-config: moec); it holds the
 * whole compiler with LLVM/MLIR hidden inside and exports only moec_*.
 *
 *   moec_jit *jit = NULL;
 *   if (moec_jit_create("host", NULL, &jit) != MOEC_OK) {     // or "cuda:0"
 *     fprintf(stderr, "%s\n", moec_last_error());
 *     return 1;
 *   }
 *   moec_tensor a = {a_ptr, MOEC_BF16, 2, {M, K}, {0}};       // row-major
 *   moec_tensor w = {w_ptr, MOEC_BF16, 2, {N, K}, {0}};
 *   moec_tensor c = {c_ptr, MOEC_F32, 2, {M, N}, {0}};
 *   moec_gemm_options opt = {0};
 *   opt.transpose_b = 1;                                       // c = a * w^T
 *   if (moec_gemm(jit, &a, &w, &c, &opt, stream) != MOEC_OK)  // stream: a
 *     fprintf(stderr, "%s\n", moec_last_error());              // CUstream
 *   moec_variant_info info;
 *   moec_last_variant(&info, sizeof info);                     // what it used
 *   moec_jit_destroy(jit);
 *
 * Every function returns a status; on an error, moec_last_error() gives the
 * message (per thread, valid until the thread's next moec call). Every
 * pointer and size argument is checked; a null or short one is
 * MOEC_ERROR_INVALID_ARGUMENT naming it, never a crash. No C++ type crosses
 * this boundary and nothing throws through it.
 *
 *===----------------------------------------------------------------------===*/
#ifndef MOEC_C_MOEC_H
#define MOEC_C_MOEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define MOEC_C_EXPORT __attribute__((visibility("default")))
#else
#define MOEC_C_EXPORT
#endif

typedef enum moec_status {
  MOEC_OK = 0,
  MOEC_ERROR_INVALID_ARGUMENT = 1, /* null pointer, bad size, bad value */
  MOEC_ERROR_DEVICE = 2,           /* the device cannot be opened */
  MOEC_ERROR_FAILED = 3,           /* compile, load or launch failed */
} moec_status;

typedef enum moec_dtype {
  MOEC_F16 = 0,
  MOEC_BF16 = 1,
  MOEC_F32 = 2,
  MOEC_I32 = 3, /* routing ids (moec_fused_moe's topk_ids, expert_map) */
  /* quantized fused-MoE weights and scales (moec_fused_moe_quant) only: */
  MOEC_F8E4M3FN = 4,   /* fp8_w8a8 weights (OCP e4m3: sm_90, gfx950) */
  MOEC_F8E4M3FNUZ = 5, /* fp8_w8a8 weights on gfx942 */
  MOEC_I8 = 6,         /* int8_w8a16 weights; mxfp4's packed e2m1 pairs */
  MOEC_F8E8M0FNU = 7,  /* mxfp4's per-32 scales (e8m0 exponents) */
} moec_dtype;

typedef enum moec_activation {
  MOEC_ACT_NONE = 0,
  MOEC_ACT_RELU = 1,
  MOEC_ACT_SILU = 2,
  MOEC_ACT_GELU = 3,
  MOEC_ACT_GELU_TANH = 4,
} moec_activation;

typedef enum moec_config_source {
  MOEC_CONFIG_OVERRIDE = 0,
  MOEC_CONFIG_TUNING_DATABASE = 1,
  MOEC_CONFIG_HEURISTIC = 2,
  MOEC_CONFIG_FILE = 3,
} moec_config_source;

typedef enum moec_cache_source {
  MOEC_CACHE_MEMORY = 0,
  MOEC_CACHE_DISK = 1,
  MOEC_CACHE_COMPILED = 2,
} moec_cache_source;

#define MOEC_MAX_RANK 4

/* A tensor the caller owns. strides in elements; all zero = row-major. */
typedef struct moec_tensor {
  void *data;
  int32_t dtype; /* moec_dtype */
  int32_t rank;  /* 0..MOEC_MAX_RANK */
  int64_t sizes[MOEC_MAX_RANK];
  int64_t strides[MOEC_MAX_RANK];
} moec_tensor;

typedef struct moec_gemm_options {
  int32_t transpose_a, transpose_b;
  const moec_tensor *bias; /* [N] or NULL */
  int32_t activation;      /* moec_activation */
  /* #moec.config fields ("block_m = 64, block_n = 128") or NULL/"" for the
   * tuning database, else the heuristic. */
  const char *config;
} moec_gemm_options;

typedef struct moec_variant_info {
  char kernel[128];
  char config[256];
  char key[33];          /* the kernel cache key, hex */
  int32_t config_source; /* moec_config_source */
  int32_t cache_source;  /* moec_cache_source of the last call */
  int32_t aligned;       /* the assume-aligned specialization */
  double compile_ms;
} moec_variant_info;

typedef struct moec_jit moec_jit;
typedef struct moec_module moec_module;

/* "0.1.0". */
MOEC_C_EXPORT const char *moec_version(void);
/* The message of this thread's last failed call ("" if none). */
MOEC_C_EXPORT const char *moec_last_error(void);

/* device: "host", "cuda:N", "hip:N". cache_dir: NULL for the default
 * ($MOEC_CACHE_DIR, $XDG_CACHE_HOME/moec, ~/.cache/moec). */
MOEC_C_EXPORT moec_status moec_jit_create(const char *device,
                                          const char *cache_dir,
                                          moec_jit **out);
/* NULL is ignored. */
MOEC_C_EXPORT void moec_jit_destroy(moec_jit *jit);
/* The compiler target ("sm_90", "gfx942", "host") into buf[size]. */
MOEC_C_EXPORT moec_status moec_jit_arch(const moec_jit *jit, char *buf,
                                        size_t size);
/* Variants this JIT made (compiled or loaded from disk). */
MOEC_C_EXPORT moec_status moec_jit_variant_count(const moec_jit *jit,
                                                 size_t *out);

/* c = act(a x b + bias) on `stream` (CUstream / hipStream_t; NULL: default
 * stream; ignored on the host). options may be NULL. */
MOEC_C_EXPORT moec_status moec_gemm(moec_jit *jit, const moec_tensor *a,
                                    const moec_tensor *b, const moec_tensor *c,
                                    const moec_gemm_options *options,
                                    void *stream);

/* A prepared GEMM: the shapes, dtypes, strides and options of a moec_gemm
 * call, checked once; each moec_gemm_plan_run then passes only the data
 * pointers and the stream (the lean per-call path for Python and other
 * bindings). The tensors' data fields are ignored at creation (only shapes
 * are checked); options (and options->bias's shape/dtype) are copied.
 * A plan must be destroyed before its JIT. */
typedef struct moec_gemm_plan moec_gemm_plan;
MOEC_C_EXPORT moec_status moec_gemm_plan_create(moec_jit *jit,
                                                const moec_tensor *a,
                                                const moec_tensor *b,
                                                const moec_tensor *c,
                                                const moec_gemm_options *options,
                                                moec_gemm_plan **out);
/* NULL is ignored. */
MOEC_C_EXPORT void moec_gemm_plan_destroy(moec_gemm_plan *plan);
/* c = act(a x b + bias) with the plan's shapes; bias must be non-NULL iff
 * the plan has one; a NULL a/b/c is an error unless that tensor is empty. */
MOEC_C_EXPORT moec_status moec_gemm_plan_run(const moec_gemm_plan *plan,
                                             void *a, void *b, void *c,
                                             void *bias, void *stream);

MOEC_C_EXPORT moec_status moec_module_load_file(moec_jit *jit,
                                                const char *path,
                                                moec_module **out);
MOEC_C_EXPORT moec_status moec_module_load_string(moec_jit *jit,
                                                  const char *text,
                                                  size_t size,
                                                  moec_module **out);
/* NULL is ignored. A module must be destroyed before its JIT. */
MOEC_C_EXPORT void moec_module_destroy(moec_module *module);
/* Runs the moec op of function `entry`; tensors are its arguments. */
MOEC_C_EXPORT moec_status moec_launch(moec_jit *jit, moec_module *module,
                                      const char *entry,
                                      const moec_tensor *tensors, size_t count,
                                      void *stream);

/* The fused-MoE layer (vLLM's fused_experts), see moec::jit::Jit::fusedMoe:
 *   out[t] = sum_j topk_weights[t, j] * w2[e] x act_and_mul(w13[e] x hidden[t])
 * with e = topk_ids[t, j] (through expert_map when given; ids outside
 * [0, E) and experts mapped to -1 add nothing). hidden [T, H] f16/bf16;
 * w13 [E, 2I, H] (gate rows, then up) and w2 [E, H, I] of hidden's dtype;
 * topk_weights [T, top_k] f32/f16/bf16; topk_ids [T, top_k] MOEC_I32;
 * out [T, H] f16/bf16/f32, overwritten. Row-major, 16-byte aligned bases.
 * options may be NULL (silu, fused, configs from the tuning database or the
 * heuristic, the JIT's own workspace). */
typedef struct moec_fused_moe_options {
  int32_t activation;            /* MOEC_ACT_SILU (also 0) or MOEC_ACT_GELU */
  int32_t unfused;               /* non-zero: w13 -> act_and_mul -> w2 */
  const moec_tensor *expert_map; /* [global experts] MOEC_I32, or NULL */
  const char *w13_config;        /* #moec.config fields, or NULL/"" */
  const char *w2_config;
  void *workspace;               /* >= moec_fused_moe_workspace_size bytes */
  size_t workspace_bytes;        /* or NULL/0: the JIT's own */
} moec_fused_moe_options;

MOEC_C_EXPORT moec_status moec_fused_moe(
    moec_jit *jit, const moec_tensor *hidden, const moec_tensor *w13,
    const moec_tensor *w2, const moec_tensor *topk_weights,
    const moec_tensor *topk_ids, const moec_tensor *out,
    const moec_fused_moe_options *options, void *stream);
/* The workspace moec_fused_moe needs for these shapes (data pointers are not
 * read). */
MOEC_C_EXPORT moec_status moec_fused_moe_workspace_size(
    moec_jit *jit, const moec_tensor *hidden, const moec_tensor *w13,
    const moec_tensor *topk_ids, const moec_fused_moe_options *options,
    size_t *out);

/* Quantized weights (vLLM's use_fp8_w8a8 / use_int8_w8a16, gpt-oss's
 * MXFP4). N is 2I for w13, H for w2; K is H for w13, I for w2.
 *  - MOEC_MOE_FP8_W8A8: w13/w2 MOEC_F8E4M3FN (MOEC_F8E4M3FNUZ on gfx942);
 *    w13_scale/w2_scale MOEC_F32 per expert [E], per channel [E, N] (or
 *    [E, N, 1]) or, with group_n/group_k (vLLM's block_shape), [E,
 *    ceil(N / group_n), ceil(K / group_k)]. hidden and the intermediate are
 *    quantized to fp8 by a kernel before each GEMM: per [1, group_k] block
 *    when block-wise, else per token (per_token_activations) or per tensor,
 *    computed each call unless a13_scale / a2_scale ([] or [1] MOEC_F32)
 *    give static per-tensor scales.
 *  - MOEC_MOE_INT8_W8A16: w13/w2 MOEC_I8, scales [E, N] MOEC_F32.
 *  - MOEC_MOE_MXFP4: w13 [E, 2I, H/2], w2 [E, H, I/2] MOEC_I8 (two e2m1 a
 *    byte, the even element in the low nibble), scales [E, N, K/32]
 *    MOEC_F8E8M0FNU; hidden bf16; H, I multiples of 32.
 * An inconsistent combination (missing scale, wrong shape or dtype, odd K
 * for mxfp4, group sizes that do not divide) is MOEC_ERROR_FAILED with a
 * message naming the tensor and the shape expected. */
typedef enum moec_moe_quant_kind {
  MOEC_MOE_QUANT_NONE = 0,
  MOEC_MOE_FP8_W8A8 = 1,
  MOEC_MOE_INT8_W8A16 = 2,
  MOEC_MOE_MXFP4 = 3,
} moec_moe_quant_kind;

typedef struct moec_fused_moe_quant_options {
  int32_t kind;                  /* moec_moe_quant_kind */
  int32_t per_token_activations; /* fp8, not block-wise, computed scales */
  const moec_tensor *w13_scale;
  const moec_tensor *w2_scale;
  const moec_tensor *a13_scale;  /* fp8 static per-tensor, or NULL */
  const moec_tensor *a2_scale;
  int64_t group_n, group_k;      /* fp8 block_shape, or 0, 0 */
} moec_fused_moe_quant_options;

/* moec_fused_moe with quantized weights; quant NULL: as moec_fused_moe. */
MOEC_C_EXPORT moec_status moec_fused_moe_quant(
    moec_jit *jit, const moec_tensor *hidden, const moec_tensor *w13,
    const moec_tensor *w2, const moec_tensor *topk_weights,
    const moec_tensor *topk_ids, const moec_tensor *out,
    const moec_fused_moe_options *options,
    const moec_fused_moe_quant_options *quant, void *stream);
/* The workspace moec_fused_moe_quant needs (scale tensors are not read). */
MOEC_C_EXPORT moec_status moec_fused_moe_quant_workspace_size(
    moec_jit *jit, const moec_tensor *hidden, const moec_tensor *w13,
    const moec_tensor *topk_ids, const moec_fused_moe_options *options,
    const moec_fused_moe_quant_options *quant, size_t *out);

/* Sparse MLA decode (DeepSeek-V3.2, moec.sparse_attention) into out: per
 * token t and head h, softmax(scale * q[t, h] . kv[i]) over the rows i that
 * indices[t, :] names (flat rows block * page_size + offset; -1 skipped)
 * times kv[i, :d_v]. q [T, h_q, d_qk] MOEC_F16/MOEC_BF16; kv_cache [blocks,
 * page_size, d_qk] of q's dtype, or DeepSeek-V3.2's fp8 cache MOEC_I8
 * [blocks, page_size, 656] (512 e4m3fn codes, 4 f32 scales, 64 bf16 rope a
 * row; q bf16 with d_qk 576, d_v 512); indices [T, topk] MOEC_I32; out [T, h_q,
 * d_v] f16/bf16/f32; lse [T, h_q] MOEC_F32 or NULL. Row-major, 16-byte
 * aligned bases. options may be NULL (scale 1 / sqrt(d_qk); the config from
 * the tuning database, else the per-shape table; the JIT's own split-KV
 * workspace). moec_last_variant() says where the config came from. */
typedef struct moec_sparse_mla_options {
  int32_t has_scale;      /* non-zero: scale below, else 1 / sqrt(d_qk) */
  float scale;
  const char *config;     /* #moec.config fields, or NULL/"" */
  void *workspace;        /* >= moec_sparse_mla_workspace_size bytes */
  size_t workspace_bytes; /* or NULL/0: the JIT's own */
} moec_sparse_mla_options;

MOEC_C_EXPORT moec_status moec_sparse_mla_decode(
    moec_jit *jit, const moec_tensor *q, const moec_tensor *kv_cache,
    const moec_tensor *indices, const moec_tensor *out,
    const moec_tensor *lse, const moec_sparse_mla_options *options,
    void *stream);
/* The split-KV workspace moec_sparse_mla_decode may need for q's shape and
 * d_v (data pointers are not read). */
MOEC_C_EXPORT moec_status moec_sparse_mla_workspace_size(
    moec_jit *jit, const moec_tensor *q, const moec_tensor *indices,
    int64_t d_v, size_t *out);

/* The variant this thread's last moec_gemm/moec_launch used. size must be
 * at least sizeof(moec_variant_info) (checked: a caller built against an
 * older header gets MOEC_ERROR_INVALID_ARGUMENT). */
MOEC_C_EXPORT moec_status moec_last_variant(moec_variant_info *out,
                                            size_t size);

#ifdef __cplusplus
}
#endif

#endif /* MOEC_C_MOEC_H */
