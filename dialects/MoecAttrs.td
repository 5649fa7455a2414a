//===- MoecAttrs.td - moec attributes ----------------------*- tablegen -*-===//

#ifndef MOEC_ATTRS_TD
#define MOEC_ATTRS_TD

include "MoecDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Moec_EpilogueKind : I32EnumAttr<"EpilogueKind", "how the accumulator reaches memory", [
    // Store straight from the matrix-core register layout (Triton's
    // OPTIMIZE_EPILOGUE): no layout conversion through LDS after the K loop.
    I32EnumAttrCase<"direct", 0>,
    // Convert through LDS first for wide, coalesced global stores.
    I32EnumAttrCase<"lds", 1>
  ]> {
  let cppNamespace = "::moec";
  let genSpecializedAttr = 0;
}

def Moec_Activation : I32EnumAttr<"Activation", "elementwise activation in the epilogue", [
    I32EnumAttrCase<"none", 0>,
    I32EnumAttrCase<"relu", 1>,
    I32EnumAttrCase<"silu", 2>,
    I32EnumAttrCase<"gelu", 3>,
    I32EnumAttrCase<"gelu_tanh", 4>
  ]> {
  let cppNamespace = "::moec";
  let genSpecializedAttr = 0;
}

def Moec_ActivationAttr : EnumAttr<Moec_Dialect, Moec_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

// How `moec.sparse_attention`'s kv_cache stores a latent row.
def Moec_KvCacheFormat : I32EnumAttr<"KvCacheFormat", "layout of a latent KV cache row", [
    // d_qk elements of q's type (f16 / bf16) per row.
    I32EnumAttrCase<"plain", 0>,
    // DeepSeek-V3.2's FP8 sparse-MLA cache (FlashMLA's "FP8 with scale",
    // vLLM's kv_cache_dtype "fp8_ds_mla"): 656 bytes per row, 512 OCP
    // e4m3fn latent codes, 4 f32 scales (one per 128 codes), 64 bf16 rope.
    I32EnumAttrCase<"fp8_ds_mla", 1>
  ]> {
  let cppNamespace = "::moec";
  let genSpecializedAttr = 0;
}

def Moec_KvCacheFormatAttr : EnumAttr<Moec_Dialect, Moec_KvCacheFormat, "kv_format"> {
  let assemblyFormat = "`<` $value `>`";
}

class Moec_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Moec_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

//===----------------------------------------------------------------------===//
// #moec.config
//===----------------------------------------------------------------------===//

// An integer parameter of the config. The generic int64_t parser takes
// `true`/`false` as the integers -1/0, so `num_stages = true` would read as
// -1; this one rejects them.
class Moec_ConfigInt<string knob>
    : DefaultValuedParameter<"int64_t", "::moec::knob_defaults::" # knob> {
  let parser = "::moec::parseConfigInteger($_parser)";
}

// A code-generation switch of the config: `true` or `false`.
class Moec_ConfigBool<string knob>
    : DefaultValuedParameter<"bool", "::moec::knob_defaults::" # knob> {
  let parser = "::moec::parseConfigBool($_parser)";
  let printer = "$_printer << ($_self ? \"true\" : \"false\")";
}

def Moec_ConfigAttr : Moec_Attr<"Config", "config"> {
  let summary = "tuning configuration of one kernel";
  let description = [{
    The tuning parameters of one kernel, with the meaning users know from
    Triton on ROCm. Every parameter may be omitted and then takes the default
    shown here (the defaults of vLLM's fused-MoE default config on ROCm).

    | parameter | default | meaning |
    |---|---|---|
    | `block_m/n/k` | 64/64/32 | tile per workgroup (powers of two, 16..256) |
    | `group_m` | 8 | workgroup-id swizzle for L2 reuse |
    | `num_warps` | 4 | waves (CDNA: 64 lanes) or warps (NVIDIA: 32 lanes) per workgroup |
    | `num_stages` | 2 | K-loop pipeline depth: 1 none, 2 next tile's loads overlap the math (one LDS buffer), n > 2 about n - 1 LDS buffers; 0 is the legacy spelling of 2 |
    | `waves_per_eu` | 0 | occupancy hint, 0 = none |
    | `matrix_instr_nonkdim` | 16 | MFMA family: 16 -> 16x16xK, 32 -> 32x32xK |
    | `kpack` | 1 | K elements packed per lane per LDS read (1 or 2) |
    | `epilogue` | direct | `direct` stores from the MFMA layout, `lds` converts through LDS |
    | `block_h`, `block_kv` | 16/32 | attention: query heads and KV rows per workgroup |
    | `async_copy` | false | NVIDIA: stage K tiles with cp.async into num_stages LDS buffers |
    | `assume_aligned` | false | leading dimensions are multiples of 16 bytes (no element-wise edge path) |
    | `kv_splits` | 1 | attention: most KV splits per (token, head group), merged by a second kernel (needs a workspace) |

    Every knob is listed once in include/moec/Dialect/ConfigKnobs.def, from
    which the defaults, the CLI flags, the mangled name and the hash derive.

    Example:
    ```mlir
    #moec.config<block_m = 64, block_n = 128, block_k = 64, num_stages = 2,
                 waves_per_eu = 2, matrix_instr_nonkdim = 16, epilogue = lds>
    ```
  }];
  // Defaults come from include/moec/Dialect/ConfigKnobs.def (the one list of
  // knobs); the order here must match it.
  let parameters = (ins
    Moec_ConfigInt<"block_m">:$block_m,
    Moec_ConfigInt<"block_n">:$block_n,
    Moec_ConfigInt<"block_k">:$block_k,
    Moec_ConfigInt<"group_m">:$group_m,
    Moec_ConfigInt<"num_warps">:$num_warps,
    Moec_ConfigInt<"num_stages">:$num_stages,
    Moec_ConfigInt<"waves_per_eu">:$waves_per_eu,
    Moec_ConfigInt<"matrix_instr_nonkdim">:$matrix_instr_nonkdim,
    Moec_ConfigInt<"kpack">:$kpack,
    DefaultValuedParameter<"::moec::EpilogueKind", "::moec::knob_defaults::epilogue">:$epilogue,
    Moec_ConfigInt<"block_h">:$block_h,
    Moec_ConfigInt<"block_kv">:$block_kv,
    Moec_ConfigBool<"async_copy">:$async_copy,
    Moec_ConfigBool<"assume_aligned">:$assume_aligned,
    Moec_ConfigInt<"kv_splits">:$kv_splits
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins), [{
      return ::moec::ConfigValues().toAttr($_ctxt);
    }]>
  ];
}

//===----------------------------------------------------------------------===//
// #moec.target
//===----------------------------------------------------------------------===//

def Moec_TargetAttr : Moec_Attr<"Target", "target"> {
  let summary = "the chip a module is compiled for";
  let description = [{
    Names the target (`gfx90a`, `gfx942`, `gfx950`, `sm_80`, `sm_90`, `host`).
    Placed on a module as `moec.target`, it makes every op inside verify
    against that target's limits. Example: `#moec.target<"gfx942">`.
  }];
  let parameters = (ins StringRefParameter<"chip name">:$chip);
  let assemblyFormat = "`<` $chip `>`";
  let genVerifyDecl = 1;
}

//===----------------------------------------------------------------------===//
// Decisions of the tile passes (docs/architecture.md, "The tile level")
//===----------------------------------------------------------------------===//
//
// Each decision pass over a tile program writes what it decided as one of
// these attributes; moec-tile-to-lanes builds the lane-level kernel from
// them and no longer from the config. Their numbers come from the
// program's KernelPlan.

// A boolean parameter: `true` or `false`.
class Moec_BoolParameter<string desc> : AttrParameter<"bool", desc> {
  let parser = "::moec::parseConfigBool($_parser)";
  let printer = "$_printer << ($_self ? \"true\" : \"false\")";
}

def Moec_CoreAttr : Moec_Attr<"Core", "core"> {
  let summary = "the matrix core of a tile.dot and its lane distribution";
  let description = [{
    Set on each `moec.tile.dot` by `moec-tile-select-core`: the target's
    matrix core (`mfma`, `mma_sync` or `host`), its instruction (the
    mnemonic of the plan's instruction, empty on the host), the K of the
    instruction the tile is built from (`instr_k`), the MFMA family
    (`nonkdim`, 0 off AMD), the LDS read width (`kpack`), and the
    distribution: `num_warps` waves (warps) of `lanes` lanes in all, and the
    occupancy hint `waves_per_eu` (AMD).

    ```mlir
    #moec.core<kind = "mfma", instr = "v_mfma_f32_16x16x16_bf16",
               instr_k = 16, nonkdim = 16, kpack = 1, num_warps = 4,
               lanes = 256, waves_per_eu = 2>
    ```
  }];
  let parameters = (ins StringRefParameter<"core">:$kind,
                        StringRefParameter<"instruction mnemonic">:$instr,
                        "int64_t":$instr_k, "int64_t":$nonkdim,
                        "int64_t":$kpack, "int64_t":$num_warps,
                        "int64_t":$lanes, "int64_t":$waves_per_eu);
  let assemblyFormat = "`<` struct(params) `>`";
}

def Moec_PipelineAttr : Moec_Attr<"Pipeline", "pipeline"> {
  let summary = "the software pipeline of a K loop";
  let description = [{
    Set on the K loop (`scf.for`) of a tile program by `moec-tile-pipeline`:
    the effective `num_stages`, the LDS buffers the loop cycles through, whether K
    tiles go global -> LDS by asynchronous copies (cp.async), and the bytes
    of the A and B rings (A at offset 0, B right after).

    ```mlir
    #moec.pipeline<num_stages = 2, lds_buffers = 1, async_copy = false,
                   lds_a_bytes = 16384, lds_b_bytes = 16384>
    ```
  }];
  let parameters = (ins "int64_t":$num_stages, "int64_t":$lds_buffers,
                        Moec_BoolParameter<"async copies">:$async_copy,
                        "int64_t":$lds_a_bytes, "int64_t":$lds_b_bytes);
  let assemblyFormat = "`<` struct(params) `>`";
}

def Moec_EpilogueAttr : Moec_Attr<"Epilogue", "epilogue"> {
  let summary = "how the accumulator tile reaches memory";
  let description = [{
    Set on the `moec.tile.store` of the accumulator by `moec-tile-epilogue`:
    `direct` stores from the matrix core's layout, `lds` parks the finished
    tile in LDS first (`lds_bytes` of it, aliasing the K loop's rings) and
    stores row vectors.

    ```mlir
    #moec.epilogue<kind = lds, lds_bytes = 32768>
    ```
  }];
  let parameters = (ins "::moec::EpilogueKind":$kind, "int64_t":$lds_bytes);
  let assemblyFormat = "`<` struct(params) `>`";
}

def Moec_AccessAttr : Moec_Attr<"Access", "access"> {
  let summary = "how a tile load or store accesses global memory";
  let description = [{
    Set on `moec.tile.load` and `moec.tile.store` by
    `moec-tile-global-access`: the elements per vector access along the
    memref's contiguous dimension (`vec`), and whether its leading
    dimension is known to be a multiple of the vector (`aligned`: no
    element-by-element edge path). Every access carries a validity bit (AMD:
    buffer instructions whose range check masks; elsewhere a branch).
    Rank-1 tiles of the epilogue (bias, per-row/column scales) are read one
    element at a time: `vec = 1`.

    ```mlir
    #moec.access<vec = 8, aligned = false>
    ```
  }];
  let parameters = (ins "int64_t":$vec,
                        Moec_BoolParameter<"leading dimension aligned">:$aligned);
  let assemblyFormat = "`<` struct(params) `>`";
}

#endif // MOEC_ATTRS_TD
