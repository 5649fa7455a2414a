//===- MoecOps.td - moec operations ------------------------*- tablegen -*-===//

#ifndef MOEC_OPS_TD
#define MOEC_OPS_TD

include "MoecDialect.td"
include "MoecAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Operand types
//===----------------------------------------------------------------------===//

// Element types a matrix operand may hold: 16-bit floats, the fp8 flavours of
// gfx942 (fnuz) and gfx950/sm_90 (OCP), int8 weights, f32 for outputs.
def Moec_AnyFp8 : AnyTypeOf<[F8E4M3FNUZ, F8E5M2FNUZ, F8E4M3FN, F8E5M2]>;
def Moec_MatrixElt : AnyTypeOf<[F16, BF16, F32, Moec_AnyFp8, I8]>;
def Moec_Matrix : MemRefRankOf<[Moec_MatrixElt], [2]>;
def Moec_Tensor3 : MemRefRankOf<[Moec_MatrixElt], [3]>;
def Moec_OutputBuffer : MemRefRankOf<[F16, BF16, F32], [2, 3]>;
def Moec_BiasBuffer : MemRefRankOf<[F16, BF16, F32], [1]>;
def Moec_ScaleBuffer : MemRefRankOf<[F32], [0, 1, 2, 3]>;
// moe_gemm's b_scale: f32, or e8m0 exponents for MXFP4 weights.
def Moec_WeightScaleBuffer : MemRefRankOf<[F32, F8E8M0FNU], [0, 1, 2, 3]>;
def Moec_IndexVector : MemRefRankOf<[I32], [1]>;
def Moec_IndexMatrix : MemRefRankOf<[I32], [2]>;

//===----------------------------------------------------------------------===//
// moec.gemm
//===----------------------------------------------------------------------===//

def Moec_GemmOp : Moec_Op<"gemm", [AttrSizedOperandSegments]> {
  let summary = "C = epilogue(A x B) with a tuning config";
  let description = [{
    A dense GEMM: `C[m, n] = act(alpha(m, n) * sum_k A[m, k] * B[k, n] + bias[n])`,
    accumulated in f32. `A` is `M x K` (`K x M` with `transpose_a`), `B` is
    `K x N` (`N x K` with `transpose_b`, the layout of a linear layer's
    weight), `C` is `M x N`. Inputs are f16, bf16 (both the same type) or fp8
    (e4m3/e5m2, the fnuz flavour on gfx942, OCP on gfx950 and sm_90).

    fp8 inputs may carry f32 scales: `scale_a` per tensor (rank 0 or `[1]`) or
    per row (`[M]`), `scale_b` per tensor or per column (`[N]`);
    `alpha(m, n) = scale_a[m] * scale_b[n]`. `bias` is `[N]`. `activation` is
    applied last. Any of M, N, K may be dynamic (`?`).

    Example:
    ```mlir
    moec.gemm %a, %w, %c {transpose_b, config = #moec.config<block_m = 128>}
      : memref<?x4096xbf16>, memref<14336x4096xbf16> -> memref<?x14336xbf16>
    ```
  }];
  let arguments = (ins
    Arg<Moec_Matrix, "A", [MemRead]>:$a,
    Arg<Moec_Matrix, "B", [MemRead]>:$b,
    Arg<Moec_Matrix, "C", [MemWrite]>:$c,
    Arg<Optional<Moec_BiasBuffer>, "bias", [MemRead]>:$bias,
    Arg<Optional<Moec_ScaleBuffer>, "scale of A", [MemRead]>:$scale_a,
    Arg<Optional<Moec_ScaleBuffer>, "scale of B", [MemRead]>:$scale_b,
    UnitAttr:$transpose_a,
    UnitAttr:$transpose_b,
    DefaultValuedAttr<Moec_ActivationAttr, "::moec::Activation::none">:$activation,
    Moec_ConfigAttr:$config
  );
  let assemblyFormat = [{
    $a `,` $b `->` $c
    (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`scale_a` `(` $scale_a^ `:` type($scale_a) `)`)?
    (`scale_b` `(` $scale_b^ `:` type($scale_b) `)`)?
    attr-dict `:` type($a) `,` type($b) `->` type($c)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Problem sizes; ShapedType::kDynamic where not known statically.
    int64_t getM();
    int64_t getN();
    int64_t getK();
  }];
}

//===----------------------------------------------------------------------===//
// moec.moe_align
//===----------------------------------------------------------------------===//

def Moec_MoeAlignOp : Moec_Op<"moe_align"> {
  let summary = "sort routed tokens by expert, padded to block_m per expert";
  let description = [{
    vLLM's `moe_align_block_size`. `topk_ids` (`[tokens, top_k]`) names the
    expert of every routed copy of every token. The op writes:

    - `sorted_token_ids`: copy indices `t * top_k + k` grouped by expert, each
      expert's group padded up to a multiple of `config.block_m` with the
      sentinel `tokens * top_k`; size at least
      `tokens * top_k + num_experts * (block_m - 1)`;
    - `expert_ids`: the expert of each `block_m`-row block of
      `sorted_token_ids`, `-1` for a block of an expert this rank skips;
    - `num_tokens_post_padded` (`[1]`): the used length of `sorted_token_ids`.

    Entries of `topk_ids` outside `[0, num_experts)` (e.g. `-1`) are dropped.
    Entries of `expert_ids` past `num_tokens_post_padded[0] / block_m` are
    set to `-1`; entries of `sorted_token_ids` past it are left as they were.

    `expert_map` (`[num_experts]`, optional) is the expert-parallel map: the
    local id of each global expert on this rank, or `-1` for an expert that
    lives elsewhere. Its routed copies are still sorted and padded, but the
    blocks get `expert_ids = expert_map[e]`, so `-1` blocks are skipped by
    `moec.moe_gemm` (vLLM's `expert_map`).

    Within an expert, copies keep their order (increasing `t * top_k + k`).

    Example:
    ```mlir
    moec.moe_align %ids -> %sorted, %experts, %npad
      {num_experts = 8 : i64, config = #moec.config<block_m = 64>}
      : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    moec.moe_align %ids -> %sorted, %experts, %npad
      expert_map(%map : memref<256xi32>)
      {num_experts = 256 : i64, config = #moec.config<block_m = 64>}
      : memref<?x8xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
    ```
  }];
  // expert_map comes last so that the kernel's arguments (the operands in
  // this order) keep the positions they had before it existed.
  let arguments = (ins
    Arg<Moec_IndexMatrix, "topk_ids", [MemRead]>:$topk_ids,
    Arg<Moec_IndexVector, "sorted_token_ids", [MemWrite]>:$sorted_token_ids,
    Arg<Moec_IndexVector, "expert_ids", [MemWrite]>:$expert_ids,
    Arg<Moec_IndexVector, "num_tokens_post_padded", [MemWrite]>:$num_tokens_post_padded,
    Arg<Optional<Moec_IndexVector>, "expert_map", [MemRead]>:$expert_map,
    ConfinedAttr<I64Attr, [IntPositive]>:$num_experts,
    Moec_ConfigAttr:$config
  );
  let assemblyFormat = [{
    $topk_ids `->` $sorted_token_ids `,` $expert_ids `,` $num_tokens_post_padded
    (`expert_map` `(` $expert_map^ `:` type($expert_map) `)`)?
    attr-dict `:` type($topk_ids) `->` type($sorted_token_ids) `,`
    type($expert_ids) `,` type($num_tokens_post_padded)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// moec.moe_gemm
//===----------------------------------------------------------------------===//

def Moec_MoeGemmOp : Moec_Op<"moe_gemm", [AttrSizedOperandSegments]> {
  let summary = "fused-MoE grouped GEMM (vLLM/SGLang fused_moe_kernel)";
  let description = [{
    For every `block_m`-row block `b` of `sorted_token_ids` below
    `num_tokens_post_padded[0]` with `e = expert_ids[b] >= 0`, and every row
    id `s` of that block with `s < tokens * top_k`:

    `out(s)[n] = w(s) * sum_k A[row(s), k] * W[e, n, k]`

    where `row(s) = s / top_k`, or `row(s) = s` with `a_per_copy` (the down
    projection, whose A has one row per routed copy), and `w(s) =
    topk_weights[s / top_k, s % top_k]` when `topk_weights` is given (else 1).
    Without `reduce`, `C` is `[tokens, top_k, N]` and `out(s)` is
    `C[s / top_k, s % top_k]`; with `reduce`, `C` is `[tokens, N]` and the
    `top_k` copies of a token are summed into `C[s / top_k]` (the down
    projection straight into the output).

    `W` is `[E, N, K]` (vLLM's layout). Quantization follows the dtypes:
    f16/bf16 A and W of the same type take no scales; fp8 A and W
    (`fp8_w8a8`) need `a_scale` (per tensor `[]`/`[1]`, per token `[M]`, or
    block-wise `[M, ceil(K / group_k)]`) and `b_scale` (per expert `[E]`, per
    channel `[E, N]`, or block-wise `[E, ceil(N / group_n), ceil(K / group_k)]`);
    f16/bf16 A with i8 W (`int8_w8a16`) needs a per-channel `b_scale [E, N]`.
    Block-wise scales are selected by the `group_n`/`group_k` attributes.

    MXFP4 weights (`mxfp4`, gpt-oss / DeepSeek-V4, OCP MX: e2m1 values with
    one e8m0 scale per 32 K elements; w4a16): bf16 A, W the packed bytes
    `[E, N, K/2]` i8 (two e2m1 values per byte along K, element `2j` in the
    low nibble, `2j + 1` in the high one: the layout vLLM and the gpt-oss
    checkpoints store), `b_scale [E, N, K/32]` f8E8M0FNU, no `a_scale`, K a
    multiple of 32, and `W[e, n, k] = e2m1(nibble k) * 2^(scale[e, n, k/32] -
    127)`. W is spelled as packed i8 with the `mxfp4` attribute rather than
    as a `memref<...xf4E2M1FN>`: MLIR 22 lowers a memref of a sub-byte type
    to LLVM with one `i4` per byte (the GEP strides by the i4's 1-byte store
    size), so a `f4E2M1FN` memref would not describe the packed buffer
    serving hands us unless every pass ran narrow-type emulation first. The
    scales are 8-bit and keep their `f8E8M0FNU` type. The kernels dequantize
    W to bf16 in registers on the way to LDS (exact: e2m1 times a power of
    two fits bf16 barring over/underflow), so every matrix unit sees bf16;
    on gfx950 with block_k a multiple of 128 (nonkdim 16) or 64 (32) W's
    scales go to the scaled MFMA instead and A is split into MXFP8 hi + lo
    parts (docs/architecture.md).

    With `activation` (`#moec.activation<silu>`: vLLM's `silu_and_mul`,
    `<gelu>`: `gelu_and_mul`; any activation but `none`) the op is the
    gate/up projection fused with the gated activation: N is even, rows
    `[0, N/2)` of `W[e]` are the gate and rows `[N/2, N)` the up projection
    (vLLM's w13 layout), C's last dimension is `N/2`, and
    `out(s)[j] = w(s) * act(g[j]) * u[j]` with `g`, `u` the two halves of
    the product above, computed in f32. Not with `reduce`.
  }];
  let arguments = (ins
    Arg<Moec_Matrix, "A (hidden states)", [MemRead]>:$a,
    Arg<Moec_Tensor3, "W [E, N, K]", [MemRead]>:$w,
    Arg<Moec_OutputBuffer, "C", [MemWrite, MemRead]>:$c,
    Arg<Moec_IndexVector, "sorted_token_ids", [MemRead]>:$sorted_token_ids,
    Arg<Moec_IndexVector, "expert_ids", [MemRead]>:$expert_ids,
    Arg<Moec_IndexVector, "num_tokens_post_padded", [MemRead]>:$num_tokens_post_padded,
    Arg<Optional<MemRefRankOf<[F16, BF16, F32], [2]>>, "topk_weights", [MemRead]>:$topk_weights,
    Arg<Optional<Moec_ScaleBuffer>, "a_scale", [MemRead]>:$a_scale,
    Arg<Optional<Moec_WeightScaleBuffer>, "b_scale", [MemRead]>:$b_scale,
    ConfinedAttr<I64Attr, [IntPositive]>:$top_k,
    UnitAttr:$a_per_copy,
    UnitAttr:$mxfp4,
    UnitAttr:$reduce,
    OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$group_n,
    OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$group_k,
    OptionalAttr<Moec_ActivationAttr>:$activation,
    Moec_ConfigAttr:$config
  );
  let assemblyFormat = [{
    $a `,` $w `->` $c
    `routing` `(` $sorted_token_ids `,` $expert_ids `,` $num_tokens_post_padded `:`
      type($sorted_token_ids) `,` type($expert_ids) `,` type($num_tokens_post_padded) `)`
    (`topk_weights` `(` $topk_weights^ `:` type($topk_weights) `)`)?
    (`a_scale` `(` $a_scale^ `:` type($a_scale) `)`)?
    (`b_scale` `(` $b_scale^ `:` type($b_scale) `)`)?
    attr-dict `:` type($a) `,` type($w) `->` type($c)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The quantization scheme implied by the operand dtypes.
    enum class Quant { None, Fp8W8A8, Int8W8A16, Mxfp4W4A16 };
    Quant getQuant();
    bool isBlockQuantized() { return getGroupN().has_value(); }
    ::mlir::LogicalResult verifyMxfp4Operands();
  }];
}

//===----------------------------------------------------------------------===//
// moec.act_and_mul
//===----------------------------------------------------------------------===//

def Moec_ActAndMulOp : Moec_Op<"act_and_mul"> {
  let summary = "out = act(x[..., :N]) * x[..., N:] (silu_and_mul, gelu_and_mul)";
  let description = [{
    The gated activation between a MoE layer's gate/up and down projections,
    as its own kernel (the unfused path): the last dimension of `input` is
    `2 N`, the gate half first, and
    `output[..., j] = act(input[..., j]) * input[..., N + j]`, computed in
    f32. The leading dimensions of `input` and `output` agree (rank 2 or 3:
    `[tokens, top_k, 2 N]` as the gate/up moe_gemm writes it). With
    `activation = silu` this is vLLM's `silu_and_mul`, with `gelu`
    `gelu_and_mul`.

    Example:
    ```mlir
    moec.act_and_mul %gate_up -> %act {activation = #moec.activation<silu>,
                                       config = #moec.config<>}
      : memref<?x2x28672xbf16> -> memref<?x2x14336xbf16>
    ```
  }];
  let arguments = (ins
    Arg<MemRefRankOf<[F16, BF16, F32], [2, 3]>, "input [..., 2N]", [MemRead]>:$input,
    Arg<MemRefRankOf<[F16, BF16, F32], [2, 3]>, "output [..., N]", [MemWrite]>:$output,
    Moec_ActivationAttr:$activation,
    Moec_ConfigAttr:$config
  );
  let assemblyFormat = [{
    $input `->` $output attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// moec.quant_fp8
//===----------------------------------------------------------------------===//

def Moec_QuantFp8Op : Moec_Op<"quant_fp8"> {
  let summary = "fp8 quantization of activations (dynamic per token / group / tensor, or static)";
  let description = [{
    Quantizes `input [M, K]` (f16, bf16, f32) to `output [M, K]` (an fp8
    type) with f32 scales, as vLLM quantizes a fused-MoE layer's inputs for
    `fp8_w8a8` (`scaled_fp8_quant`, `per_token_group_quant_fp8`). The
    granularity follows `scale`'s shape:

    - `[M, ceil(K / group_k)]` with `group_k`: one scale per row and group
      of `group_k` columns (block-wise fp8, the `[1, group_k]` blocks);
    - `[M]` or `[M, 1]`: one scale per row (per token);
    - `[]` or `[1]`: one scale for the tensor; with `static_scale` it is
      read (the caller's calibrated scale), else computed.

    A computed scale is `s = max(amax, 1e-10) / fp8_max` over its group
    (`fp8_max`: 448 for e4m3fn, 240 for e4m3fnuz, 57344 for e5m2 and
    e5m2fnuz) and is written to `scale`; every element becomes
    `fp8(clamp(x / s, -fp8_max, fp8_max))`, rounded to nearest even, in f32
    arithmetic. `output * scale` is the dequantized input. One workgroup
    takes one scale group (lanes reduce the group's amax through LDS); a
    dynamic per-tensor scale is one group of the whole tensor (one
    workgroup: fine for decode-sized inputs, slow for large M); a static
    scale takes one workgroup per row.

    Example:
    ```mlir
    moec.quant_fp8 %x -> %q, %s {group_k = 128 : i64, config = #moec.config<>}
      : memref<?x7168xbf16> -> memref<?x7168xf8E4M3FN>, memref<?x56xf32>
    ```
  }];
  let arguments = (ins
    Arg<MemRefRankOf<[F16, BF16, F32], [2]>, "input [M, K]", [MemRead]>:$input,
    Arg<MemRefRankOf<[Moec_AnyFp8], [2]>, "output [M, K]", [MemWrite]>:$output,
    Arg<Moec_ScaleBuffer, "scale", [MemRead, MemWrite]>:$scale,
    UnitAttr:$static_scale,
    OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$group_k,
    Moec_ConfigAttr:$config
  );
  let assemblyFormat = [{
    $input `->` $output `,` $scale attr-dict `:` type($input) `->`
      type($output) `,` type($scale)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// How many values share a scale.
    enum class Granularity { Tensor, Token, Group };
    Granularity getGranularity();
    ::mlir::LogicalResult verifyScaleShape();
  }];
}

//===----------------------------------------------------------------------===//
// moec.sparse_window_indices
//===----------------------------------------------------------------------===//

def Moec_SparseWindowIndicesOp : Moec_Op<"sparse_window_indices"> {
  let summary = "identity index rows for short windows (skip the indexer's top-k)";
  let description = [{
    The short-window path of sparse MLA decode. For each token `t` with
    `len = seq_lens[t]` valid KV positions: when `len <= topk` (the second
    dimension of `indices`), row `t` receives the identity over its window
    in the flat row numbering `moec.sparse_attention` reads
    (`block * page_size + offset`):
    `indices[t, j] = block_table[t, j / page_size] * page_size + j % page_size`
    for `j < len`, and `-1` for `j >= len` (also for a position whose block
    lies past `block_table`'s second dimension, and for every `j` when
    `len <= 0`). A row with `len > topk` is left untouched: the caller runs
    its top-k for those rows.

    Example:
    ```mlir
    moec.sparse_window_indices %seq_lens, %block_table -> %idx
      {page_size = 64 : i64, config = #moec.config<>}
      : memref<?xi32>, memref<?x?xi32> -> memref<?x2048xi32>
    ```
  }];
  let arguments = (ins
    Arg<MemRefRankOf<[I32], [1]>, "seq_lens [tokens]", [MemRead]>:$seq_lens,
    Arg<Moec_IndexMatrix, "block_table [tokens, max_blocks]", [MemRead]>:$block_table,
    Arg<Moec_IndexMatrix, "indices [tokens, topk]", [MemWrite]>:$indices,
    ConfinedAttr<I64Attr, [IntPositive]>:$page_size,
    Moec_ConfigAttr:$config
  );
  let assemblyFormat = [{
    $seq_lens `,` $block_table `->` $indices attr-dict `:` type($seq_lens) `,`
    type($block_table) `->` type($indices)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// moec.sparse_attention
//===----------------------------------------------------------------------===//

def Moec_SparseAttentionOp : Moec_Op<"sparse_attention", [AttrSizedOperandSegments]> {
  let summary = "sparse MLA decode over a paged latent KV cache";
  let description = [{
    DeepSeek V3.2-style sparse MLA decode. For each query token `t` and
    query head `h`, attend over the `topk` latent KV rows named by
    `indices[t, :]` (flat row numbers `block * page_size + offset` into
    `kv_cache [num_blocks, page_size, d_qk]`; entries `-1` are skipped):

    `s_j = scale * dot(q[t, h, :], kv[idx_j, :])`,
    `out[t, h, :] = sum_j softmax(s)_j * kv[idx_j, 0:d_v]`,
    computed with an online softmax. One latent KV head is shared by all
    `h_q` query heads; `d_v` (out's last dimension) is at most `d_qk`
    (e.g. 512 of 576: the rope part is not part of V). `lse[t, h]`, when
    given, receives the natural log-sum-exp of the scaled scores; a row
    whose indices are all `-1` produces zeros and `lse = -inf`.

    Split-KV: with a `workspace` (f32 `[splits, tokens * h_q, d_v + 1]`,
    `splits` at most the config's `kv_splits`), `splits` workgroups share
    each (token, head group), each taking a contiguous range of the index
    blocks and writing its normalized partial output and log-sum-exp to
    the workspace; a second kernel merges them into `out` and `lse`. The
    launcher chooses `splits` (its first dimension) from the batch: 1, no
    split and no merge, when tokens x head groups fill the device
    (`sparseAttentionKvSplits` in moec/Dialect/OpPlans.h).

    Example:
    ```mlir
    moec.sparse_attention %q, %kv, %idx -> %out
      {scale = 0.0417 : f32, config = #moec.config<block_h = 16, block_kv = 32>}
      : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32>
        -> memref<?x128x512xbf16>
    ```

    FP8 KV cache (`kv_format = #moec.kv_format<fp8_ds_mla>`): DeepSeek-V3.2's
    layout as FlashMLA's sparse decode and vLLM (`kv_cache_dtype =
    "fp8_ds_mla"`) store it, so a serving stack hands its cache over as is.
    `kv_cache` is then bytes, `memref<num_blocks x page_size x 656 x i8>`
    (a torch uint8 tensor), row r at byte r * 656 (rows contiguous, pages
    too), each row:
    - bytes [0, 512): 512 latent values as OCP float8_e4m3fn codes (bias 7,
      S.1111.111 NaN, no infinities; not gfx942's fnuz);
    - bytes [512, 528): 4 little-endian f32 scales, scale g for latent
      elements [128 g, 128 g + 128);
    - bytes [528, 656): the 64 rope values as bf16.
    Row r's K is `[e4m3(code_c) * scale_{c / 128} for c < 512] ++ rope`
    (d_qk = 576), V its first 512 (d_v = 512). q is bf16 `[tokens, h_q,
    576]`, out bf16 or f32; the kernel dequantizes each gathered row to
    bf16 (the latent product rounded to bf16) on its way into LDS and
    computes as for a bf16 cache. The default, `plain`, is a cache of d_qk
    elements of q's type per row.
    ```mlir
    moec.sparse_attention %q, %kv, %idx -> %out
      {scale = 0.0417 : f32, kv_format = #moec.kv_format<fp8_ds_mla>,
       config = #moec.config<>}
      : memref<?x128x576xbf16>, memref<?x64x656xi8>, memref<?x2048xi32>
        -> memref<?x128x512xbf16>
    ```
  }];
  let arguments = (ins
    Arg<MemRefRankOf<[F16, BF16], [3]>, "q [tokens, h_q, d_qk]", [MemRead]>:$q,
    Arg<MemRefRankOf<[F16, BF16, I8], [3]>, "kv_cache [num_blocks, page_size, d_qk] (plain) or [num_blocks, page_size, 656] bytes (fp8_ds_mla)", [MemRead]>:$kv_cache,
    Arg<Moec_IndexMatrix, "indices [tokens, topk]", [MemRead]>:$indices,
    Arg<MemRefRankOf<[F16, BF16, F32], [3]>, "out [tokens, h_q, d_v]", [MemWrite]>:$out,
    Arg<Optional<MemRefRankOf<[F32], [2]>>, "lse [tokens, h_q]", [MemWrite]>:$lse,
    Arg<Optional<MemRefRankOf<[F32], [3]>>, "workspace [splits, tokens * h_q, d_v + 1]", [MemRead, MemWrite]>:$workspace,
    F32Attr:$scale,
    DefaultValuedAttr<Moec_KvCacheFormatAttr, "::moec::KvCacheFormat::plain">:$kv_format,
    Moec_ConfigAttr:$config
  );
  let assemblyFormat = [{
    $q `,` $kv_cache `,` $indices `->` $out
    (`lse` `(` $lse^ `:` type($lse) `)`)?
    (`workspace` `(` $workspace^ `:` type($workspace) `)`)?
    attr-dict `:` type($q) `,` type($kv_cache) `,` type($indices) `->` type($out)
  }];
  let hasVerifier = 1;
}

include "MoecTileOps.td"

#endif // MOEC_OPS_TD
