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
    | `wgmma` | false | sm_90: warpgroup `wgmma.mma_async` tile product from LDS (16-bit inputs, block_k x 2 bytes = 128) |

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
    Moec_ConfigInt<"kv_splits">:$kv_splits,
    Moec_ConfigBool<"wgmma">:$wgmma
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

#endif // MOEC_ATTRS_TD
