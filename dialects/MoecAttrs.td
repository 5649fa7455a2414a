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
class Moec_ConfigInt<string value> : DefaultValuedParameter<"int64_t", value> {
  let parser = "::moec::parseConfigInteger($_parser)";
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

    Example:
    ```mlir
    #moec.config<block_m = 64, block_n = 128, block_k = 64, num_stages = 2,
                 waves_per_eu = 2, matrix_instr_nonkdim = 16, epilogue = lds>
    ```
  }];
  let parameters = (ins
    Moec_ConfigInt<"64">:$block_m,
    Moec_ConfigInt<"64">:$block_n,
    Moec_ConfigInt<"32">:$block_k,
    Moec_ConfigInt<"8">:$group_m,
    Moec_ConfigInt<"4">:$num_warps,
    Moec_ConfigInt<"2">:$num_stages,
    Moec_ConfigInt<"0">:$waves_per_eu,
    Moec_ConfigInt<"16">:$matrix_instr_nonkdim,
    Moec_ConfigInt<"1">:$kpack,
    DefaultValuedParameter<"::moec::EpilogueKind", "::moec::EpilogueKind::direct">:$epilogue,
    Moec_ConfigInt<"16">:$block_h,
    Moec_ConfigInt<"32">:$block_kv
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins), [{
      return $_get($_ctxt, 64, 64, 32, 8, 4, 2, 0, 16, 1,
                   ::moec::EpilogueKind::direct, 16, 32);
    }]>
  ];
  let extraClassDeclaration = [{
    /// Pipeline depth with the legacy spelling resolved: Triton-on-ROCm
    /// configs say 0 for what is 2 here.
    int64_t getEffectiveNumStages() const {
      return getNumStages() == 0 ? 2 : getNumStages();
    }
    /// Number of LDS buffers the K loop uses for this pipeline depth.
    int64_t getNumLdsBuffers() const {
      int64_t s = getEffectiveNumStages();
      return s <= 2 ? 1 : s - 1;
    }
  }];
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
