// RUN: moec-opt %s -split-input-file -verify-diagnostics

// Target-independent rules: one case per rule of ConfigAttr::verify,
// TargetAttr::verify, the ODS constraints and each op verifier in
// lib/Dialect/MoecOps.cpp, plus malformed syntax. Rules that need a
// `moec.target` are in target-invalid.mlir.

//===----------------------------------------------------------------------===//
// #moec.config: ConfigAttr::verify
//===----------------------------------------------------------------------===//

func.func @block_m_not_pow2(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{block_m = 48 must be a power of two between 16 and 256}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 48>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @block_m_too_small(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{block_m = 8 must be a power of two between 16 and 256}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 8>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @block_m_too_large(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{block_m = 512 must be a power of two between 16 and 256}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 512>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @block_m_negative(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{block_m = -16 must be a power of two between 16 and 256}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = -16>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @block_n(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{block_n = 96 must be a power of two between 16 and 256}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_n = 96>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @block_k(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{block_k = 0 must be a power of two between 16 and 256}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_k = 0>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @group_m_zero(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{group_m = 0 must be between 1 and 256}}
  moec.gemm %a, %b -> %c {config = #moec.config<group_m = 0>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @group_m_too_large(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{group_m = 257 must be between 1 and 256}}
  moec.gemm %a, %b -> %c {config = #moec.config<group_m = 257>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @num_warps_not_pow2(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{num_warps = 6 must be a power of two between 1 and 32}}
  moec.gemm %a, %b -> %c {config = #moec.config<num_warps = 6>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @num_warps_too_large(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{num_warps = 64 must be a power of two between 1 and 32}}
  moec.gemm %a, %b -> %c {config = #moec.config<num_warps = 64>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @num_stages_too_large(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{num_stages = 9 must be between 0 and 8}}
  moec.gemm %a, %b -> %c {config = #moec.config<num_stages = 9>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @num_stages_negative(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{num_stages = -1 must be between 0 and 8}}
  moec.gemm %a, %b -> %c {config = #moec.config<num_stages = -1>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @waves_per_eu_too_large(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{waves_per_eu = 17 must be between 0 and 16}}
  moec.gemm %a, %b -> %c {config = #moec.config<waves_per_eu = 17>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @waves_per_eu_negative(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{waves_per_eu = -2 must be between 0 and 16}}
  moec.gemm %a, %b -> %c {config = #moec.config<waves_per_eu = -2>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @block_h(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // block_h tops out at 128, below the other block sizes.
  // expected-error @below {{block_h = 256 must be a power of two between 16 and 128}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_h = 256>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @block_kv(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{block_kv = 24 must be a power of two between 16 and 256}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<block_kv = 24>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @nonkdim(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // 4x4 MFMA (Triton's matrix_instr_nonkdim = 4) is not supported.
  // expected-error @below {{matrix_instr_nonkdim = 4 must be 16 or 32}}
  moec.gemm %a, %b -> %c {config = #moec.config<matrix_instr_nonkdim = 4>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @kpack(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{kpack = 4 must be 1 or 2}}
  moec.gemm %a, %b -> %c {config = #moec.config<kpack = 4>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @kpack_zero(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{kpack = 0 must be 1 or 2}}
  moec.gemm %a, %b -> %c {config = #moec.config<kpack = 0>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

//===----------------------------------------------------------------------===//
// #moec.config: malformed syntax
//===----------------------------------------------------------------------===//

// -----

func.func @config_unknown_key(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{duplicate or unknown struct parameter name: block_q}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_q = 64>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @config_duplicate_key(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{duplicate or unknown struct parameter name: block_m}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 64, block_m = 128>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @config_missing_close(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{unbalanced '<' character in pretty dialect name}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 64} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @config_missing_open(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected '<'}}
  moec.gemm %a, %b -> %c {config = #moec.config} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @config_missing_equals(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected '='}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m 64>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @config_string_value(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected integer value}}
  // expected-error @below {{failed to parse Moec_ConfigAttr parameter 'block_m' which is to be a `int64_t`}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = "64">}
   : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @config_float_value(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected integer value}}
  // expected-error @below {{failed to parse Moec_ConfigAttr parameter 'num_stages' which is to be a `int64_t`}}
  moec.gemm %a, %b -> %c {config = #moec.config<num_stages = 1.5>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

// `true` is no integer (the generic parser would read it as -1).
func.func @config_bool_true(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected an integer, not a boolean}}
  // expected-error @below {{failed to parse Moec_ConfigAttr parameter 'num_stages' which is to be a `int64_t`}}
  moec.gemm %a, %b -> %c {config = #moec.config<num_stages = true>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

// ... nor is `false` (which would read as 0, a valid waves_per_eu).
func.func @config_bool_false(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected an integer, not a boolean}}
  // expected-error @below {{failed to parse Moec_ConfigAttr parameter 'waves_per_eu' which is to be a `int64_t`}}
  moec.gemm %a, %b -> %c {config = #moec.config<waves_per_eu = false>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @config_value_overflows(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{integer value too large}}
  // expected-error @below {{failed to parse Moec_ConfigAttr parameter 'block_m' which is to be a `int64_t`}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 99999999999999999999>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @config_bad_epilogue(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected one of [direct, lds] for how the accumulator reaches memory, got: fancy}}
  // expected-error @below {{failed to parse Moec_ConfigAttr parameter 'epilogue' which is to be a `::moec::EpilogueKind`}}
  moec.gemm %a, %b -> %c {config = #moec.config<epilogue = fancy>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @config_epilogue_integer(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected keyword for how the accumulator reaches memory}}
  // expected-error @below {{failed to parse Moec_ConfigAttr parameter 'epilogue' which is to be a `::moec::EpilogueKind`}}
  moec.gemm %a, %b -> %c {config = #moec.config<epilogue = 1>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @config_trailing_comma(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected valid keyword}}
  // expected-error @below {{expected a parameter name in struct}}
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 64,>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @config_wrong_attr_kind(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{attribute 'config' failed to satisfy constraint}}
  moec.gemm %a, %b -> %c {config = {block_m = 64 : i64}} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @config_missing(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{requires attribute 'config'}}
  moec.gemm %a, %b -> %c : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @unknown_moec_attr() attributes {
  // expected-error @below {{unknown attribute `tuning` in dialect `moec`}}
  x = #moec.tuning<1>
} {
  return
}

// -----

func.func @bad_activation(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected ::moec::Activation to be one of: none, relu, silu, gelu, gelu_tanh}}
  // expected-error @below {{failed to parse Moec_ActivationAttr parameter 'value' which is to be a `::moec::Activation`}}
  moec.gemm %a, %b -> %c {activation = #moec.activation<swish>, config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

//===----------------------------------------------------------------------===//
// #moec.target: TargetAttr::verify and syntax
//===----------------------------------------------------------------------===//

// -----

// expected-error @below {{unknown target 'gfx1100'; known targets: gfx90a, gfx942, gfx950, sm_80, sm_90, host}}
module attributes {moec.target = #moec.target<"gfx1100">} {}

// -----

// expected-error @below {{unknown target ''; known targets: gfx90a, gfx942, gfx950, sm_80, sm_90, host}}
module attributes {moec.target = #moec.target<"">} {}

// -----

// expected-error @below {{expected string}}
// expected-error @below {{failed to parse Moec_TargetAttr parameter 'chip' which is to be a `::llvm::StringRef`}}
module attributes {moec.target = #moec.target<gfx942>} {}

// -----

// A moec.target that is not a #moec.target would silently turn the target
// checks off.
// expected-error @below {{'moec.target' must be a #moec.target<"chip">, not "gfx942"}}
module attributes {moec.target = "gfx942"} {}

// -----

// expected-error @below {{unknown moec attribute 'moec.targets'; known: 'moec.target'}}
module attributes {moec.targets = #moec.target<"gfx942">} {}

//===----------------------------------------------------------------------===//
// moec.gemm
//===----------------------------------------------------------------------===//

// -----

func.func @gemm_k_mismatch(%a: memref<64x32xf16>, %b: memref<16x64xf16>, %c: memref<64x64xf16>) {
  // expected-error @below {{'moec.gemm' op K mismatch: K of A (32) does not match K of B (16)}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<64x32xf16>, memref<16x64xf16> -> memref<64x64xf16>
  return
}

// -----

func.func @gemm_k_mismatch_transposed(%a: memref<32x64xf16>, %b: memref<32x64xf16>, %c: memref<64x64xf16>) {
  // With transpose_a, A is K x M: K of A is 32, and B is N x K with transpose_b.
  // expected-error @below {{'moec.gemm' op K mismatch: K of A (32) does not match K of B (64)}}
  moec.gemm %a, %b -> %c {transpose_a, transpose_b, config = #moec.config<>} : memref<32x64xf16>, memref<32x64xf16> -> memref<64x64xf16>
  return
}

// -----

func.func @gemm_m_mismatch(%a: memref<64x32xf16>, %b: memref<32x16xf16>, %c: memref<128x16xf16>) {
  // expected-error @below {{'moec.gemm' op M mismatch: M of A (64) does not match rows of C (128)}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<64x32xf16>, memref<32x16xf16> -> memref<128x16xf16>
  return
}

// -----

func.func @gemm_n_mismatch(%a: memref<?x32xf16>, %b: memref<32x16xf16>, %c: memref<?x32xf16>) {
  // expected-error @below {{'moec.gemm' op N mismatch: N of B (16) does not match columns of C (32)}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xf16>, memref<32x16xf16> -> memref<?x32xf16>
  return
}

// -----

func.func @gemm_fp8_with_f16(%a: memref<?x32xf8E4M3FNUZ>, %b: memref<32x16xf16>, %c: memref<?x16xf16>) {
  // expected-error @below {{'moec.gemm' op A ('f8E4M3FNUZ') and B ('f16') must both be fp8 when either is}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xf8E4M3FNUZ>, memref<32x16xf16> -> memref<?x16xf16>
  return
}

// -----

func.func @gemm_f16_with_fp8(%a: memref<?x32xbf16>, %b: memref<32x16xf8E4M3FN>, %c: memref<?x16xf16>) {
  // expected-error @below {{'moec.gemm' op A ('bf16') and B ('f8E4M3FN') must both be fp8 when either is}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xbf16>, memref<32x16xf8E4M3FN> -> memref<?x16xf16>
  return
}

// -----

func.func @gemm_fnuz_with_ocp(%a: memref<?x32xf8E4M3FNUZ>, %b: memref<32x16xf8E4M3FN>, %c: memref<?x16xf16>) {
  // expected-error @below {{'moec.gemm' op A ('f8E4M3FNUZ') and B ('f8E4M3FN') mix the fnuz and OCP fp8 encodings}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xf8E4M3FNUZ>, memref<32x16xf8E4M3FN> -> memref<?x16xf16>
  return
}

// -----

func.func @gemm_f32_inputs(%a: memref<?x32xf32>, %b: memref<32x16xf32>, %c: memref<?x16xf32>) {
  // expected-error @below {{'moec.gemm' op A element type 'f32' must be f16, bf16 or an fp8 type}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xf32>, memref<32x16xf32> -> memref<?x16xf32>
  return
}

// -----

func.func @gemm_i8_inputs(%a: memref<?x32xi8>, %b: memref<32x16xi8>, %c: memref<?x16xf32>) {
  // expected-error @below {{'moec.gemm' op A element type 'i8' must be f16, bf16 or an fp8 type}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xi8>, memref<32x16xi8> -> memref<?x16xf32>
  return
}

// -----

func.func @gemm_f16_with_bf16(%a: memref<?x32xf16>, %b: memref<32x16xbf16>, %c: memref<?x16xf16>) {
  // expected-error @below {{'moec.gemm' op A ('f16') and B ('bf16') must have the same element type}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xf16>, memref<32x16xbf16> -> memref<?x16xf16>
  return
}

// -----

func.func @gemm_fp8_output(%a: memref<?x32xf8E4M3FN>, %b: memref<32x16xf8E4M3FN>, %c: memref<?x16xf8E4M3FN>) {
  // expected-error @below {{'moec.gemm' op C element type 'f8E4M3FN' must be f16, bf16 or f32}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xf8E4M3FN>, memref<32x16xf8E4M3FN> -> memref<?x16xf8E4M3FN>
  return
}

// -----

func.func @gemm_i8_output(%a: memref<?x32xf16>, %b: memref<32x16xf16>, %c: memref<?x16xi8>) {
  // expected-error @below {{'moec.gemm' op C element type 'i8' must be f16, bf16 or f32}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x32xf16>, memref<32x16xf16> -> memref<?x16xi8>
  return
}

// -----

func.func @gemm_bias_size(%a: memref<?x32xf16>, %b: memref<32x16xf16>, %c: memref<?x16xf16>, %bias: memref<32xf16>) {
  // expected-error @below {{'moec.gemm' op bias size: bias length (32) does not match N (16)}}
  moec.gemm %a, %b -> %c bias(%bias : memref<32xf16>) {config = #moec.config<>} : memref<?x32xf16>, memref<32x16xf16> -> memref<?x16xf16>
  return
}

// -----

func.func @gemm_scale_without_fp8(%a: memref<?x32xbf16>, %b: memref<32x16xbf16>, %c: memref<?x16xbf16>, %s: memref<f32>) {
  // expected-error @below {{'moec.gemm' op scale_a is only allowed with fp8 inputs, not 'bf16'}}
  moec.gemm %a, %b -> %c scale_a(%s : memref<f32>) {config = #moec.config<>} : memref<?x32xbf16>, memref<32x16xbf16> -> memref<?x16xbf16>
  return
}

// -----

func.func @gemm_scale_b_without_fp8(%a: memref<?x32xf16>, %b: memref<32x16xf16>, %c: memref<?x16xf16>, %s: memref<16xf32>) {
  // expected-error @below {{'moec.gemm' op scale_b is only allowed with fp8 inputs, not 'f16'}}
  moec.gemm %a, %b -> %c scale_b(%s : memref<16xf32>) {config = #moec.config<>} : memref<?x32xf16>, memref<32x16xf16> -> memref<?x16xf16>
  return
}

// -----

func.func @gemm_scale_a_rank(%a: memref<?x32xf8E4M3FNUZ>, %b: memref<32x16xf8E4M3FNUZ>, %c: memref<?x16xf16>, %s: memref<?x1xf32>) {
  // expected-error @below {{'moec.gemm' op scale_a must be per tensor ([] or [1]) or per M ([M]), not rank 2}}
  moec.gemm %a, %b -> %c scale_a(%s : memref<?x1xf32>) {config = #moec.config<>} : memref<?x32xf8E4M3FNUZ>, memref<32x16xf8E4M3FNUZ> -> memref<?x16xf16>
  return
}

// -----

func.func @gemm_scale_b_rank(%a: memref<?x32xf8E4M3FNUZ>, %b: memref<32x16xf8E4M3FNUZ>, %c: memref<?x16xf16>, %s: memref<1x16xf32>) {
  // expected-error @below {{'moec.gemm' op scale_b must be per tensor ([] or [1]) or per N ([N]), not rank 2}}
  moec.gemm %a, %b -> %c scale_b(%s : memref<1x16xf32>) {config = #moec.config<>} : memref<?x32xf8E4M3FNUZ>, memref<32x16xf8E4M3FNUZ> -> memref<?x16xf16>
  return
}

// -----

func.func @gemm_scale_a_size(%a: memref<64x32xf8E5M2>, %b: memref<32x16xf8E5M2>, %c: memref<64x16xf16>, %s: memref<32xf32>) {
  // expected-error @below {{'moec.gemm' op scale_a size: scale_a (32) does not match M (64)}}
  moec.gemm %a, %b -> %c scale_a(%s : memref<32xf32>) {config = #moec.config<>} : memref<64x32xf8E5M2>, memref<32x16xf8E5M2> -> memref<64x16xf16>
  return
}

// -----

func.func @gemm_scale_b_size(%a: memref<?x32xf8E5M2>, %b: memref<16x32xf8E5M2>, %c: memref<?x16xf16>, %s: memref<32xf32>) {
  // With transpose_b, N is dim 0 of B.
  // expected-error @below {{'moec.gemm' op scale_b size: scale_b (32) does not match N (16)}}
  moec.gemm %a, %b -> %c scale_b(%s : memref<32xf32>) {transpose_b, config = #moec.config<>} : memref<?x32xf8E5M2>, memref<16x32xf8E5M2> -> memref<?x16xf16>
  return
}

// -----

// ODS: A must be a 2-D memref.
func.func @gemm_a_rank(%a: memref<2x64x32xf16>, %b: memref<32x16xf16>, %c: memref<64x16xf16>) {
  // expected-error @below {{'moec.gemm' op operand #0 must be 2D memref of}}
  "moec.gemm"(%a, %b, %c) <{config = #moec.config<>, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0>}> : (memref<2x64x32xf16>, memref<32x16xf16>, memref<64x16xf16>) -> ()
  return
}

// -----

// ODS: matrix operands hold f16, bf16, f32, fp8 or i8 (f64 is none of them).
func.func @gemm_f64(%a: memref<64x32xf64>, %b: memref<32x16xf16>, %c: memref<64x16xf16>) {
  // expected-error @below {{'moec.gemm' op operand #0 must be 2D memref of}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<64x32xf64>, memref<32x16xf16> -> memref<64x16xf16>
  return
}

// -----

// ODS: the operands must be memrefs, not tensors.
func.func @gemm_tensor(%a: tensor<64x32xf16>, %b: memref<32x16xf16>, %c: memref<64x16xf16>) {
  // expected-error @below {{'moec.gemm' op operand #0 must be 2D memref of}}
  "moec.gemm"(%a, %b, %c) <{config = #moec.config<>, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0>}> : (tensor<64x32xf16>, memref<32x16xf16>, memref<64x16xf16>) -> ()
  return
}

// -----

// ODS: bias is 1-D.
func.func @gemm_bias_rank(%a: memref<?x32xf16>, %b: memref<32x16xf16>, %c: memref<?x16xf16>, %bias: memref<1x16xf16>) {
  // expected-error @below {{'moec.gemm' op operand #3 must be 1D memref of}}
  moec.gemm %a, %b -> %c bias(%bias : memref<1x16xf16>) {config = #moec.config<>} : memref<?x32xf16>, memref<32x16xf16> -> memref<?x16xf16>
  return
}

// -----

// ODS: scales are f32.
func.func @gemm_scale_f16(%a: memref<?x32xf8E4M3FN>, %b: memref<32x16xf8E4M3FN>, %c: memref<?x16xf16>, %s: memref<f16>) {
  // expected-error @below {{'moec.gemm' op operand #3 must be 0D/1D/2D/3D memref of 32-bit float values, but got 'memref<f16>'}}
  moec.gemm %a, %b -> %c scale_a(%s : memref<f16>) {config = #moec.config<>} : memref<?x32xf8E4M3FN>, memref<32x16xf8E4M3FN> -> memref<?x16xf16>
  return
}

// -----

func.func @gemm_operand_type_mismatch(%a: memref<?x32xf16>, %b: memref<32x16xf16>, %c: memref<?x16xf16>) {
  // expected-note @above {{prior use here}}
  // expected-error @below {{use of value '%a' expects different type than prior uses: 'memref<?x64xf16>' vs 'memref<?x32xf16>'}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x64xf16>, memref<32x16xf16> -> memref<?x16xf16>
  return
}

// -----

func.func @gemm_activation_wrong_kind(%a: memref<?x32xf16>, %b: memref<32x16xf16>, %c: memref<?x16xf16>) {
  // expected-error @below {{attribute 'activation' failed to satisfy constraint}}
  moec.gemm %a, %b -> %c {activation = "relu", config = #moec.config<>} : memref<?x32xf16>, memref<32x16xf16> -> memref<?x16xf16>
  return
}

//===----------------------------------------------------------------------===//
// moec.moe_align
//===----------------------------------------------------------------------===//

// -----

func.func @moe_align_npad_size(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<2xi32>) {
  // expected-error @below {{'moec.moe_align' op num_tokens_post_padded must hold 1 element, not 2}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<2xi32>
  return
}

// -----

func.func @moe_align_sorted_too_small(%ids: memref<16x2xi32>, %sorted: memref<151xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
  // 16 x 2 + 8 x (16 - 1) = 152.
  // expected-error @below {{'moec.moe_align' op sorted_token_ids holds 151 entries but 16 tokens x top_k 2 padded to block_m = 16 over 8 experts need up to 152}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<block_m = 16>} : memref<16x2xi32> -> memref<151xi32>, memref<?xi32>, memref<1xi32>
  return
}

// -----

func.func @moe_align_experts_too_small(%ids: memref<?x2xi32>, %sorted: memref<152xi32>, %experts: memref<9xi32>, %npad: memref<1xi32>) {
  // ceil(152 / 16) = 10 blocks.
  // expected-error @below {{'moec.moe_align' op expert_ids holds 9 entries but 152 sorted ids in blocks of block_m = 16 need 10}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<block_m = 16>} : memref<?x2xi32> -> memref<152xi32>, memref<9xi32>, memref<1xi32>
  return
}

// -----

func.func @moe_align_huge_num_experts(%ids: memref<16x2xi32>, %sorted: memref<152xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
  // The size needed does not fit in 64 bits; it must not wrap around to a
  // small number that the buffer seems to satisfy.
  // expected-error @below {{'moec.moe_align' op sorted_token_ids holds 152 entries but 16 tokens x top_k 2 padded to block_m = 16 over 9223372036854775807 experts need more than 64-bit sizes can hold}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 9223372036854775807 : i64, config = #moec.config<block_m = 16>} : memref<16x2xi32> -> memref<152xi32>, memref<?xi32>, memref<1xi32>
  return
}

// -----

func.func @moe_align_num_experts_zero(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
  // expected-error @below {{'moec.moe_align' op attribute 'num_experts' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 0 : i64, config = #moec.config<>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

// -----

func.func @moe_align_num_experts_missing(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
  // expected-error @below {{'moec.moe_align' op requires attribute 'num_experts'}}
  moec.moe_align %ids -> %sorted, %experts, %npad {config = #moec.config<>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

// -----

// ODS: topk_ids is a 2-D i32 memref.
func.func @moe_align_ids_i64(%ids: memref<?x2xi64>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
  // expected-error @below {{'moec.moe_align' op operand #0 must be 2D memref of 32-bit signless integer values}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<>} : memref<?x2xi64> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

// -----

func.func @moe_align_ids_rank(%ids: memref<?xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
  // expected-error @below {{'moec.moe_align' op operand #0 must be 2D memref of 32-bit signless integer values}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<>} : memref<?xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

// -----

func.func @moe_align_sorted_rank(%ids: memref<?x2xi32>, %sorted: memref<?x1xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>) {
  // expected-error @below {{'moec.moe_align' op operand #1 must be 1D memref of 32-bit signless integer values}}
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<>} : memref<?x2xi32> -> memref<?x1xi32>, memref<?xi32>, memref<1xi32>
  return
}

// -----

// expert_map: one entry per global expert.
func.func @moe_align_expert_map_size(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>, %map: memref<4xi32>) {
  // expected-error @below {{'moec.moe_align' op expert_map holds 4 entries but num_experts = 8 needs one per expert}}
  moec.moe_align %ids -> %sorted, %experts, %npad expert_map(%map : memref<4xi32>) {num_experts = 8 : i64, config = #moec.config<>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

// -----

func.func @moe_align_expert_map_i64(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>, %map: memref<8xi64>) {
  // expected-error @below {{'moec.moe_align' op operand #4 must be 1D memref of 32-bit signless integer values}}
  moec.moe_align %ids -> %sorted, %experts, %npad expert_map(%map : memref<8xi64>) {num_experts = 8 : i64, config = #moec.config<>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

// -----

func.func @moe_align_expert_map_rank(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>, %map: memref<8x1xi32>) {
  // expected-error @below {{'moec.moe_align' op operand #4 must be 1D memref of 32-bit signless integer values}}
  moec.moe_align %ids -> %sorted, %experts, %npad expert_map(%map : memref<8x1xi32>) {num_experts = 8 : i64, config = #moec.config<>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

// -----

func.func @moe_align_expert_map_lds(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>, %map: memref<8xi32, #gpu.address_space<workgroup>>) {
  // expected-error @below {{'moec.moe_align' op expert_map ('memref<8xi32, #gpu.address_space<workgroup>>') is in memory space #gpu.address_space<workgroup>}}
  moec.moe_align %ids -> %sorted, %experts, %npad expert_map(%map : memref<8xi32, #gpu.address_space<workgroup>>) {num_experts = 8 : i64, config = #moec.config<>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

// -----

func.func @moe_align_expert_map_no_type(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>, %map: memref<8xi32>) {
  // expected-error @below {{expected ':'}}
  moec.moe_align %ids -> %sorted, %experts, %npad expert_map(%map) {num_experts = 8 : i64, config = #moec.config<>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

//===----------------------------------------------------------------------===//
// moec.moe_gemm
//===----------------------------------------------------------------------===//

// -----

func.func @moe_gemm_k_mismatch(%a: memref<?x4096xbf16>, %w: memref<8x1024x2048xbf16>, %c: memref<?x2x1024xbf16>,
                               %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op K mismatch: K of A (4096) does not match K of W (2048)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x2048xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_gated_odd_n(%a: memref<?x4096xbf16>, %w: memref<8x1023x4096xbf16>, %c: memref<?x2x511xbf16>,
                                %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op with activation, N of W (1023) must be even: gate rows [0, N/2), up rows [N/2, N)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, activation = #moec.activation<silu>, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1023x4096xbf16> -> memref<?x2x511xbf16>
  return
}

// -----

func.func @moe_gemm_gated_c_not_half(%a: memref<?x4096xbf16>, %w: memref<8x2048x4096xbf16>, %c: memref<?x2x2048xbf16>,
                                     %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op with activation, the last dim of C (2048) must be N/2 = 1024 (N of W is 2048)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, activation = #moec.activation<silu>, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x2048x4096xbf16> -> memref<?x2x2048xbf16>
  return
}

// -----

func.func @moe_gemm_gated_reduce(%a: memref<?x4096xbf16>, %w: memref<8x2048x4096xbf16>, %c: memref<?x1024xbf16>,
                                 %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op activation (act(gate) * up, the gate/up projection) cannot be combined with reduce}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, reduce, activation = #moec.activation<gelu>, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x2048x4096xbf16> -> memref<?x1024xbf16>
  return
}

// -----

func.func @moe_gemm_gated_none(%a: memref<?x4096xbf16>, %w: memref<8x2048x4096xbf16>, %c: memref<?x2x1024xbf16>,
                               %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op activation must name a gated activation (silu, gelu, ...), not none}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, activation = #moec.activation<none>, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x2048x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_gated_group_n(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x384x4096xf8E4M3FNUZ>, %c: memref<?x2x192xbf16>,
                                  %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>,
                                  %as: memref<?x32xf32>, %bs: memref<8x3x32xf32>) {
  // expected-error @below {{'moec.moe_gemm' op with activation, group_n (128) must divide N/2 so that no scale group spans the gate and up halves}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<?x32xf32>) b_scale(%bs : memref<8x3x32xf32>) {top_k = 2 : i64, group_n = 128 : i64, group_k = 128 : i64, activation = #moec.activation<silu>, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x384x4096xf8E4M3FNUZ> -> memref<?x2x192xbf16>
  return
}

// -----

func.func @moe_gemm_reduce_rank(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op with reduce, C must be [tokens, N], not rank 3}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, reduce, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_no_reduce_rank(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x1024xbf16>,
                                   %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op without reduce, C must be [tokens, top_k, N], not rank 2}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x1024xbf16>
  return
}

// -----

func.func @moe_gemm_top_k_mismatch(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                   %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op top_k mismatch: dim 1 of C (2) does not match top_k (4)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 4 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_n_mismatch(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x512xbf16>,
                               %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op N mismatch: N of W (1024) does not match last dim of C (512)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x512xbf16>
  return
}

// -----

func.func @moe_gemm_n_mismatch_reduce(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2048xbf16>,
                                      %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op N mismatch: N of W (1024) does not match last dim of C (2048)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, reduce, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2048xbf16>
  return
}

// -----

func.func @moe_gemm_a_rows(%a: memref<32x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<16x2x1024xbf16>,
                           %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op A rows: rows of A (32) does not match tokens of C (16)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<32x4096xbf16>, memref<8x1024x4096xbf16> -> memref<16x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_a_rows_per_copy(%a: memref<16x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<16x1024xbf16>,
                                    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op A rows: rows of A (a_per_copy) (16) does not match tokens x top_k (32)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, a_per_copy, reduce, config = #moec.config<>} : memref<16x4096xbf16>, memref<8x1024x4096xbf16> -> memref<16x1024xbf16>
  return
}

// -----

func.func @moe_gemm_a_rows_per_copy_overflow(%a: memref<16x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<4611686018427387904x1024xbf16>,
                                             %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // 2^62 tokens x 4 copies wraps to 0 in 64 bits; the check must not compare
  // against that. The bound on buffer sizes (2^48 bytes) now stops C first.
  // expected-error @below {{'moec.moe_gemm' op C ('memref<4611686018427387904x1024xbf16>') is too large}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 4 : i64, a_per_copy, reduce, config = #moec.config<>} : memref<16x4096xbf16>, memref<8x1024x4096xbf16> -> memref<4611686018427387904x1024xbf16>
  return
}

// -----

func.func @moe_gemm_topk_weights_tokens(%a: memref<16x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<16x2x1024xbf16>,
                                        %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %tw: memref<8x2xf32>) {
  // expected-error @below {{'moec.moe_gemm' op topk_weights shape: dim 0 of topk_weights (8) does not match tokens (16)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) topk_weights(%tw : memref<8x2xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<16x4096xbf16>, memref<8x1024x4096xbf16> -> memref<16x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_topk_weights_top_k(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                       %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %tw: memref<?x4xf32>) {
  // expected-error @below {{'moec.moe_gemm' op topk_weights shape: dim 1 of topk_weights (4) does not match top_k (2)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) topk_weights(%tw : memref<?x4xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_npad_size(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                              %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<4xi32>) {
  // expected-error @below {{'moec.moe_gemm' op num_tokens_post_padded must hold 1 element, not 4}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<4xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_expert_ids_too_small(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                         %s: memref<256xi32>, %e: memref<3xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op expert_ids holds 3 entries but 256 sorted ids in blocks of block_m = 64 need 4}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<256xi32>, memref<3xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_f16_with_bf16(%a: memref<?x4096xf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                  %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op A ('f16') and W ('bf16') must be the same f16/bf16 type, fp8 and fp8 (fp8_w8a8), or f16/bf16 and i8 (int8_w8a16)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_fp8_with_bf16(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                  %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op A ('f8E4M3FNUZ') and W ('bf16') must be the same f16/bf16 type}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_f32(%a: memref<?x4096xf32>, %w: memref<8x1024x4096xf32>, %c: memref<?x2x1024xf32>,
                        %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op A ('f32') and W ('f32') must be the same f16/bf16 type}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf32>, memref<8x1024x4096xf32> -> memref<?x2x1024xf32>
  return
}

// -----

func.func @moe_gemm_scales_unquantized(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                       %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8xf32>) {
  // expected-error @below {{'moec.moe_gemm' op scales are only allowed with fp8_w8a8 or int8_w8a16 weights, not 'bf16'}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_fp8_no_a_scale(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                   %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8xf32>) {
  // expected-error @below {{'moec.moe_gemm' op fp8_w8a8 needs both a_scale and b_scale}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_fp8_no_b_scale(%a: memref<?x4096xf8E4M3FN>, %w: memref<8x1024x4096xf8E4M3FN>, %c: memref<?x2x1024xbf16>,
                                   %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>) {
  // expected-error @below {{'moec.moe_gemm' op fp8_w8a8 needs both a_scale and b_scale}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FN>, memref<8x1024x4096xf8E4M3FN> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_fp8_fnuz_with_ocp(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FN>, %c: memref<?x2x1024xbf16>,
                                      %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8xf32>) {
  // expected-error @below {{'moec.moe_gemm' op A ('f8E4M3FNUZ') and W ('f8E4M3FN') mix the fnuz and OCP fp8 encodings}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FN> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_int8_fp8_activations(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xi8>, %c: memref<?x2x1024xbf16>,
                                         %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x1024xf32>) {
  // expected-error @below {{'moec.moe_gemm' op int8_w8a16 needs f16 or bf16 activations, not 'f8E4M3FNUZ'}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x1024xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xi8> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_int8_i8_activations(%a: memref<?x4096xi8>, %w: memref<8x1024x4096xi8>, %c: memref<?x2x1024xbf16>,
                                        %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x1024xf32>) {
  // expected-error @below {{'moec.moe_gemm' op int8_w8a16 needs f16 or bf16 activations, not 'i8'}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x1024xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xi8>, memref<8x1024x4096xi8> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_int8_no_b_scale(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xi8>, %c: memref<?x2x1024xbf16>,
                                    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op int8_w8a16 needs b_scale (per channel [E, N]) and no a_scale}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xi8> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_int8_with_a_scale(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xi8>, %c: memref<?x2x1024xbf16>,
                                      %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8x1024xf32>) {
  // expected-error @below {{'moec.moe_gemm' op int8_w8a16 needs b_scale (per channel [E, N]) and no a_scale}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8x1024xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xi8> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_group_n_alone(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                  %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<?x32xf32>, %bs: memref<8x8x32xf32>) {
  // expected-error @below {{'moec.moe_gemm' op group_n and group_k (the block_shape of block-wise scales) must be given together}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<?x32xf32>) b_scale(%bs : memref<8x8x32xf32>) {top_k = 2 : i64, group_n = 128 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_group_k_alone(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                  %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<?x32xf32>, %bs: memref<8x8x32xf32>) {
  // expected-error @below {{'moec.moe_gemm' op group_n and group_k (the block_shape of block-wise scales) must be given together}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<?x32xf32>) b_scale(%bs : memref<8x8x32xf32>) {top_k = 2 : i64, group_k = 128 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_blockwise_unquantized(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                          %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op block-wise scales (group_n, group_k) need fp8_w8a8 inputs}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, group_n = 128 : i64, group_k = 128 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_blockwise_int8(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xi8>, %c: memref<?x2x1024xbf16>,
                                   %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x1024xf32>) {
  // expected-error @below {{'moec.moe_gemm' op block-wise scales (group_n, group_k) need fp8_w8a8 inputs}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x1024xf32>) {top_k = 2 : i64, group_n = 128 : i64, group_k = 128 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xi8> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_block_k_vs_group_k(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                       %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<?x32xf32>, %bs: memref<8x8x32xf32>) {
  // expected-error @below {{'moec.moe_gemm' op block_k = 256 must divide group_k = 128 so that each K tile has one scale}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<?x32xf32>) b_scale(%bs : memref<8x8x32xf32>) {top_k = 2 : i64, group_n = 128 : i64, group_k = 128 : i64, config = #moec.config<block_k = 256>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_blockwise_a_scale_rank(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                           %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8x8x32xf32>) {
  // expected-error @below {{'moec.moe_gemm' op block-wise a_scale must be [M, ceil(K / group_k)], not rank 0}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8x8x32xf32>) {top_k = 2 : i64, group_n = 128 : i64, group_k = 128 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_blockwise_a_scale_rows(%a: memref<16x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<16x2x1024xbf16>,
                                           %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<32x32xf32>, %bs: memref<8x8x32xf32>) {
  // expected-error @below {{'moec.moe_gemm' op a_scale shape: dim 0 of a_scale (32) does not match rows of A (16)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<32x32xf32>) b_scale(%bs : memref<8x8x32xf32>) {top_k = 2 : i64, group_n = 128 : i64, group_k = 128 : i64, config = #moec.config<>} : memref<16x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<16x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_blockwise_a_scale_k_groups(%a: memref<?x4000xf8E4M3FNUZ>, %w: memref<8x1024x4000xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                               %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<?x31xf32>, %bs: memref<8x8x32xf32>) {
  // ceil(4000 / 128) = 32: the last group is partial but still has a scale.
  // expected-error @below {{'moec.moe_gemm' op a_scale shape: dim 1 of a_scale (31) does not match ceil(K / group_k) (32)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<?x31xf32>) b_scale(%bs : memref<8x8x32xf32>) {top_k = 2 : i64, group_n = 128 : i64, group_k = 128 : i64, config = #moec.config<>} : memref<?x4000xf8E4M3FNUZ>, memref<8x1024x4000xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_a_scale_per_token_rank(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                           %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<?x2xf32>, %bs: memref<8xf32>) {
  // Without group_n/group_k, a 2-D a_scale must be [M, 1].
  // expected-error @below {{'moec.moe_gemm' op a_scale must be per tensor ([] or [1]) or per token ([M] or [M, 1])}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<?x2xf32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_a_scale_rank3(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                  %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<1x1x1xf32>, %bs: memref<8xf32>) {
  // expected-error @below {{'moec.moe_gemm' op a_scale must be per tensor ([] or [1]) or per token ([M] or [M, 1])}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<1x1x1xf32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_a_scale_per_token_rows(%a: memref<16x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<16x2x1024xbf16>,
                                           %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<32xf32>, %bs: memref<8xf32>) {
  // expected-error @below {{'moec.moe_gemm' op a_scale shape: dim 0 of a_scale (32) does not match rows of A (16)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<32xf32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<16x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<16x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_blockwise_b_scale_rank(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                           %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<?x32xf32>, %bs: memref<8x1024xf32>) {
  // expected-error @below {{'moec.moe_gemm' op block-wise b_scale must be [E, ceil(N / group_n), ceil(K / group_k)], not rank 2}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<?x32xf32>) b_scale(%bs : memref<8x1024xf32>) {top_k = 2 : i64, group_n = 128 : i64, group_k = 128 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_blockwise_b_scale_experts(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                              %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<?x32xf32>, %bs: memref<4x8x32xf32>) {
  // expected-error @below {{'moec.moe_gemm' op b_scale shape: dim 0 of b_scale (4) does not match experts (8)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<?x32xf32>) b_scale(%bs : memref<4x8x32xf32>) {top_k = 2 : i64, group_n = 128 : i64, group_k = 128 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_blockwise_b_scale_n_groups(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                               %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<?x32xf32>, %bs: memref<8x16x32xf32>) {
  // expected-error @below {{'moec.moe_gemm' op b_scale shape: dim 1 of b_scale (16) does not match ceil(N / group_n) (8)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<?x32xf32>) b_scale(%bs : memref<8x16x32xf32>) {top_k = 2 : i64, group_n = 128 : i64, group_k = 128 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_blockwise_b_scale_k_groups(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                               %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<?x32xf32>, %bs: memref<8x8x64xf32>) {
  // expected-error @below {{'moec.moe_gemm' op b_scale shape: dim 2 of b_scale (64) does not match ceil(K / group_k) (32)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<?x32xf32>) b_scale(%bs : memref<8x8x64xf32>) {top_k = 2 : i64, group_n = 128 : i64, group_k = 128 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_int8_b_scale_rank(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xi8>, %c: memref<?x2x1024xbf16>,
                                      %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8xf32>) {
  // expected-error @below {{'moec.moe_gemm' op b_scale must be per channel [E, N] for int8_w8a16, not rank 1}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xi8> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_per_channel_experts(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xi8>, %c: memref<?x2x1024xbf16>,
                                        %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<16x1024xf32>) {
  // expected-error @below {{'moec.moe_gemm' op b_scale shape: dim 0 of b_scale (16) does not match experts (8)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<16x1024xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xi8> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_per_channel_n(%a: memref<?x4096xf8E4M3FN>, %w: memref<8x1024x4096xf8E4M3FN>, %c: memref<?x2x1024xbf16>,
                                  %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8x512xf32>) {
  // expected-error @below {{'moec.moe_gemm' op b_scale shape: dim 1 of b_scale (512) does not match N (1024)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8x512xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FN>, memref<8x1024x4096xf8E4M3FN> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_fp8_b_scale_rank3(%a: memref<?x4096xf8E4M3FN>, %w: memref<8x1024x4096xf8E4M3FN>, %c: memref<?x2x1024xbf16>,
                                      %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8x8x32xf32>) {
  // A 3-D b_scale is block-wise, which needs group_n/group_k.
  // expected-error @below {{'moec.moe_gemm' op b_scale must be per expert [E], per channel [E, N] or block-wise, not rank 3}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8x8x32xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FN>, memref<8x1024x4096xf8E4M3FN> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_per_expert_size(%a: memref<?x4096xf8E4M3FN>, %w: memref<8x1024x4096xf8E4M3FN>, %c: memref<?x2x1024xbf16>,
                                    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<1xf32>) {
  // b_scale is per expert: a single scale is not enough for 8 experts.
  // expected-error @below {{'moec.moe_gemm' op b_scale shape: dim 0 of b_scale (1) does not match experts (8)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<1xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FN>, memref<8x1024x4096xf8E4M3FN> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_top_k_zero(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                               %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op attribute 'top_k' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 0 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_group_n_zero(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                 %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<?x32xf32>, %bs: memref<8x8x32xf32>) {
  // expected-error @below {{'moec.moe_gemm' op attribute 'group_n' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<?x32xf32>) b_scale(%bs : memref<8x8x32xf32>) {top_k = 2 : i64, group_n = 0 : i64, group_k = 128 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_group_k_negative(%a: memref<?x4096xf8E4M3FNUZ>, %w: memref<8x1024x4096xf8E4M3FNUZ>, %c: memref<?x2x1024xbf16>,
                                     %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<?x32xf32>, %bs: memref<8x8x32xf32>) {
  // expected-error @below {{'moec.moe_gemm' op attribute 'group_k' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<?x32xf32>) b_scale(%bs : memref<8x8x32xf32>) {top_k = 2 : i64, group_n = 128 : i64, group_k = -128 : i64, config = #moec.config<>} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  return
}

// -----

// ODS: W is [E, N, K].
func.func @moe_gemm_w_rank(%a: memref<?x4096xbf16>, %w: memref<1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                           %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op operand #1 must be 3D memref of}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

// ODS: C holds f16, bf16 or f32.
func.func @moe_gemm_c_i8(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xi8>,
                         %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op operand #2 must be 2D/3D memref of 16-bit float or bfloat16 type or 32-bit float values}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xi8>
  return
}

// -----

// ODS: C is 2-D or 3-D.
func.func @moe_gemm_c_rank4(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1x1024xbf16>,
                            %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op operand #2 must be 2D/3D memref of}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1x1024xbf16>
  return
}

// -----

// ODS: routing buffers are 1-D i32.
func.func @moe_gemm_sorted_i64(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                               %s: memref<?xi64>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op operand #3 must be 1D memref of 32-bit signless integer values}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi64>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

// ODS: topk_weights is a 2-D float memref.
func.func @moe_gemm_topk_weights_rank(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                      %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %tw: memref<?xf32>) {
  // expected-error @below {{'moec.moe_gemm' op operand #6 must be 2D memref of}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) topk_weights(%tw : memref<?xf32>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_top_k_missing(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>,
                                  %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op requires attribute 'top_k'}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// -----

func.func @moe_gemm_missing_routing(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>, %c: memref<?x2x1024xbf16>) {
  // expected-error @below {{expected 'routing'}}
  moec.moe_gemm %a, %w -> %c {top_k = 2 : i64, config = #moec.config<>} : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

//===----------------------------------------------------------------------===//
// moec.sparse_window_indices
//===----------------------------------------------------------------------===//

// -----

func.func @window_tokens(%l: memref<4xi32>, %bt: memref<?x?xi32>, %idx: memref<5x64xi32>) {
  // expected-error @below {{'moec.sparse_window_indices' op tokens mismatch: dim 0 of seq_lens (4) does not match dim 0 of indices (5)}}
  moec.sparse_window_indices %l, %bt -> %idx {page_size = 1 : i64, config = #moec.config<>} : memref<4xi32>, memref<?x?xi32> -> memref<5x64xi32>
  return
}

// -----

func.func @window_table_tokens(%l: memref<?xi32>, %bt: memref<3x8xi32>, %idx: memref<5x64xi32>) {
  // expected-error @below {{'moec.sparse_window_indices' op tokens mismatch: dim 0 of block_table (3) does not match dim 0 of indices (5)}}
  moec.sparse_window_indices %l, %bt -> %idx {page_size = 1 : i64, config = #moec.config<>} : memref<?xi32>, memref<3x8xi32> -> memref<5x64xi32>
  return
}

// -----

func.func @window_page(%l: memref<?xi32>, %bt: memref<?x?xi32>, %idx: memref<?x64xi32>) {
  // expected-error @below {{'moec.sparse_window_indices' op attribute 'page_size' failed to satisfy constraint}}
  moec.sparse_window_indices %l, %bt -> %idx {page_size = 0 : i64, config = #moec.config<>} : memref<?xi32>, memref<?x?xi32> -> memref<?x64xi32>
  return
}

// -----

func.func @window_elt(%l: memref<?xi32>, %bt: memref<?x?xi32>, %idx: memref<?x64xi64>) {
  // expected-error @below {{'moec.sparse_window_indices' op operand #2 must be}}
  moec.sparse_window_indices %l, %bt -> %idx {page_size = 1 : i64, config = #moec.config<>} : memref<?xi32>, memref<?x?xi32> -> memref<?x64xi64>
  return
}

//===----------------------------------------------------------------------===//
// moec.quant_fp8
//===----------------------------------------------------------------------===//

// -----

func.func @quant_fp8_shape(%x: memref<?x64xbf16>, %q: memref<?x32xf8E4M3FN>, %s: memref<?xf32>) {
  // expected-error @below {{'moec.quant_fp8' op shape mismatch: dim 1 of input (64) does not match dim 1 of output (32)}}
  moec.quant_fp8 %x -> %q, %s {config = #moec.config<>} : memref<?x64xbf16> -> memref<?x32xf8E4M3FN>, memref<?xf32>
  return
}

// -----

func.func @quant_fp8_out_type(%x: memref<?x64xbf16>, %q: memref<?x64xbf16>, %s: memref<?xf32>) {
  // expected-error @below {{'moec.quant_fp8' op operand #1 must be 2D memref of}}
  moec.quant_fp8 %x -> %q, %s {config = #moec.config<>} : memref<?x64xbf16> -> memref<?x64xbf16>, memref<?xf32>
  return
}

// -----

func.func @quant_fp8_group_rank(%x: memref<?x256xbf16>, %q: memref<?x256xf8E4M3FN>, %s: memref<?xf32>) {
  // expected-error @below {{'moec.quant_fp8' op with group_k, scale must be [M, ceil(K / group_k)], not rank 1}}
  moec.quant_fp8 %x -> %q, %s {group_k = 128 : i64, config = #moec.config<>} : memref<?x256xbf16> -> memref<?x256xf8E4M3FN>, memref<?xf32>
  return
}

// -----

func.func @quant_fp8_groups(%x: memref<?x200xbf16>, %q: memref<?x200xf8E4M3FN>, %s: memref<?x1xf32>) {
  // expected-error @below {{'moec.quant_fp8' op scale shape: dim 1 of scale (1) does not match ceil(K / group_k) (2)}}
  moec.quant_fp8 %x -> %q, %s {group_k = 128 : i64, config = #moec.config<>} : memref<?x200xbf16> -> memref<?x200xf8E4M3FN>, memref<?x1xf32>
  return
}

// -----

func.func @quant_fp8_static_group(%x: memref<?x256xbf16>, %q: memref<?x256xf8E4M3FN>, %s: memref<?x2xf32>) {
  // expected-error @below {{'moec.quant_fp8' op static_scale is a per-tensor scale; it cannot be combined with group_k}}
  moec.quant_fp8 %x -> %q, %s {static_scale, group_k = 128 : i64, config = #moec.config<>} : memref<?x256xbf16> -> memref<?x256xf8E4M3FN>, memref<?x2xf32>
  return
}

// -----

func.func @quant_fp8_static_token(%x: memref<?x64xbf16>, %q: memref<?x64xf8E4M3FN>, %s: memref<?xf32>) {
  // expected-error @below {{'moec.quant_fp8' op static_scale needs a per-tensor scale ([] or [1]), not 'memref<?xf32>'}}
  moec.quant_fp8 %x -> %q, %s {static_scale, config = #moec.config<>} : memref<?x64xbf16> -> memref<?x64xf8E4M3FN>, memref<?xf32>
  return
}

// -----

func.func @quant_fp8_scale_shape(%x: memref<?x64xbf16>, %q: memref<?x64xf8E4M3FN>, %s: memref<?x2xf32>) {
  // expected-error @below {{'moec.quant_fp8' op scale must be per tensor ([] or [1]), per token ([M] or [M, 1]) or, with group_k, [M, ceil(K / group_k)]; it is 'memref<?x2xf32>'}}
  moec.quant_fp8 %x -> %q, %s {config = #moec.config<>} : memref<?x64xbf16> -> memref<?x64xf8E4M3FN>, memref<?x2xf32>
  return
}

// -----

func.func @quant_fp8_token_rows(%x: memref<8x64xbf16>, %q: memref<8x64xf8E4M3FN>, %s: memref<4xf32>) {
  // expected-error @below {{'moec.quant_fp8' op scale shape: dim 0 of scale (4) does not match M (8)}}
  moec.quant_fp8 %x -> %q, %s {config = #moec.config<>} : memref<8x64xbf16> -> memref<8x64xf8E4M3FN>, memref<4xf32>
  return
}

//===----------------------------------------------------------------------===//
// moec.act_and_mul
//===----------------------------------------------------------------------===//

// -----

func.func @act_and_mul_rank(%x: memref<?x2x48xbf16>, %y: memref<?x24xbf16>) {
  // expected-error @below {{'moec.act_and_mul' op input (rank 3) and output (rank 2) must have the same rank}}
  moec.act_and_mul %x -> %y {activation = #moec.activation<silu>, config = #moec.config<>} : memref<?x2x48xbf16> -> memref<?x24xbf16>
  return
}

// -----

func.func @act_and_mul_half(%x: memref<?x2x48xbf16>, %y: memref<?x2x25xbf16>) {
  // expected-error @below {{'moec.act_and_mul' op the last dimension of input (48) must be twice that of output (25)}}
  moec.act_and_mul %x -> %y {activation = #moec.activation<silu>, config = #moec.config<>} : memref<?x2x48xbf16> -> memref<?x2x25xbf16>
  return
}

// -----

func.func @act_and_mul_odd(%x: memref<?x47xbf16>, %y: memref<?x?xbf16>) {
  // expected-error @below {{'moec.act_and_mul' op the last dimension of input (47) must be even: the gate half, then the up half}}
  moec.act_and_mul %x -> %y {activation = #moec.activation<silu>, config = #moec.config<>} : memref<?x47xbf16> -> memref<?x?xbf16>
  return
}

// -----

func.func @act_and_mul_leading(%x: memref<?x2x48xbf16>, %y: memref<?x4x24xbf16>) {
  // expected-error @below {{'moec.act_and_mul' op leading dimensions: dim 1 of input (2) does not match dim 1 of output (4)}}
  moec.act_and_mul %x -> %y {activation = #moec.activation<silu>, config = #moec.config<>} : memref<?x2x48xbf16> -> memref<?x4x24xbf16>
  return
}

// -----

func.func @act_and_mul_int(%x: memref<?x48xi8>, %y: memref<?x24xbf16>) {
  // expected-error @below {{'moec.act_and_mul' op operand #0 must be 2D/3D memref of 16-bit float or bfloat16 type or 32-bit float values}}
  moec.act_and_mul %x -> %y {activation = #moec.activation<silu>, config = #moec.config<>} : memref<?x48xi8> -> memref<?x24xbf16>
  return
}

// -----

func.func @act_and_mul_no_activation(%x: memref<?x48xbf16>, %y: memref<?x24xbf16>) {
  // expected-error @below {{'moec.act_and_mul' op requires attribute 'activation'}}
  moec.act_and_mul %x -> %y {config = #moec.config<>} : memref<?x48xbf16> -> memref<?x24xbf16>
  return
}

//===----------------------------------------------------------------------===//
// moec.sparse_attention
//===----------------------------------------------------------------------===//

// -----

func.func @attn_dynamic_head_dim(%q: memref<?x128x?xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op head dimensions d_qk (q, kv_cache) and d_v (out) must be static}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x?xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @attn_dynamic_d_v(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x?xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op head dimensions d_qk (q, kv_cache) and d_v (out) must be static}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x?xbf16>
  return
}

// -----

func.func @attn_d_qk_mismatch(%q: memref<?x128x576xbf16>, %kv: memref<?x64x512xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op d_qk mismatch: d_qk of q (576) does not match d_qk of kv_cache (512)}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x512xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @attn_tokens_indices(%q: memref<4x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<8x2048xi32>, %out: memref<4x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op tokens mismatch: tokens of q (4) does not match tokens of indices (8)}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<4x128x576xbf16>, memref<?x64x576xbf16>, memref<8x2048xi32> -> memref<4x128x512xbf16>
  return
}

// -----

func.func @attn_tokens_out(%q: memref<4x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<2x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op tokens mismatch: tokens of q (4) does not match tokens of out (2)}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<4x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<2x128x512xbf16>
  return
}

// -----

func.func @attn_heads(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x64x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op heads mismatch: h_q of q (128) does not match heads of out (64)}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x64x512xbf16>
  return
}

// -----

func.func @attn_d_v_too_large(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x640xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op d_v (640) must not exceed d_qk (576): V is the first d_v columns of the latent cache}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x640xbf16>
  return
}

// -----

func.func @attn_elt_mismatch(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op q ('bf16') and kv_cache ('f16') must have the same element type}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @attn_lse_tokens(%q: memref<4x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<4x2048xi32>, %out: memref<4x128x512xbf16>, %lse: memref<8x128xf32>) {
  // expected-error @below {{'moec.sparse_attention' op lse shape: dim 0 of lse (8) does not match tokens (4)}}
  moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : memref<8x128xf32>) {scale = 0.04 : f32, config = #moec.config<>} : memref<4x128x576xbf16>, memref<?x64x576xbf16>, memref<4x2048xi32> -> memref<4x128x512xbf16>
  return
}

// -----

func.func @attn_lse_heads(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>, %lse: memref<?x16xf32>) {
  // expected-error @below {{'moec.sparse_attention' op lse shape: dim 1 of lse (16) does not match h_q (128)}}
  moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : memref<?x16xf32>) {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @attn_scale_zero(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op scale = 0.000000e+00 must be a finite positive number}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.0 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @attn_scale_negative(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op scale = -5.000000e-01 must be a finite positive number}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = -0.5 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @attn_scale_inf(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op scale = INF must be a finite positive number}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0x7F800000 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @attn_scale_nan(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op scale = nan must be a finite positive number}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0x7FC00000 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @workspace_columns(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>, %ws: memref<?x?x512xf32>) {
  // The workspace holds d_v partial outputs and the split's lse per row.
  // expected-error @below {{'moec.sparse_attention' op workspace shape: dim 2 of workspace (512) does not match d_v + 1 (513)}}
  moec.sparse_attention %q, %kv, %idx -> %out workspace(%ws : memref<?x?x512xf32>) {scale = 0.04 : f32, config = #moec.config<kv_splits = 8>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @workspace_splits(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>, %ws: memref<8x?x513xf32>) {
  // expected-error @below {{'moec.sparse_attention' op workspace has 8 splits, more than kv_splits = 4}}
  moec.sparse_attention %q, %kv, %idx -> %out workspace(%ws : memref<8x?x513xf32>) {scale = 0.04 : f32, config = #moec.config<kv_splits = 4>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @workspace_rows(%q: memref<2x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<2x2048xi32>, %out: memref<2x128x512xbf16>, %ws: memref<4x128x513xf32>) {
  // expected-error @below {{'moec.sparse_attention' op workspace shape: dim 1 of workspace (128) does not match tokens x h_q (256)}}
  moec.sparse_attention %q, %kv, %idx -> %out workspace(%ws : memref<4x128x513xf32>) {scale = 0.04 : f32, config = #moec.config<kv_splits = 4>} : memref<2x128x576xbf16>, memref<?x64x576xbf16>, memref<2x2048xi32> -> memref<2x128x512xbf16>
  return
}

// -----

func.func @kv_splits_range(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{kv_splits = 0 must be between 1 and 64}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<kv_splits = 0>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @attn_scale_f64(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op attribute 'scale' failed to satisfy constraint: 32-bit float attribute}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f64, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @attn_scale_missing(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op requires attribute 'scale'}}
  moec.sparse_attention %q, %kv, %idx -> %out {config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

// ODS: kv_cache is f16 / bf16, or i8 bytes of kv_format fp8_ds_mla; an fp8
// memref is neither (DeepSeek's row mixes e4m3 codes, f32 scales and bf16).
func.func @attn_fp8_kv(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xf8E4M3FN>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op operand #1 must be 3D memref of 16-bit float or bfloat16 type or 8-bit signless integer values}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xf8E4M3FN>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @attn_q_rank(%q: memref<?x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op operand #0 must be 3D memref of 16-bit float or bfloat16 type values}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @attn_indices_i64(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi64>, %out: memref<?x128x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op operand #2 must be 2D memref of 32-bit signless integer values}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi64> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @attn_lse_f16(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>, %lse: memref<?x128xf16>) {
  // expected-error @below {{'moec.sparse_attention' op operand #4 must be 2D memref of 32-bit float values}}
  moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : memref<?x128xf16>) {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

// -----

func.func @attn_out_i8(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xi8>) {
  // expected-error @below {{'moec.sparse_attention' op operand #3 must be 3D memref of 16-bit float or bfloat16 type or 32-bit float values}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xi8>
  return
}

//===----------------------------------------------------------------------===//
// Every moec op: unknown attributes, memory spaces, sizes (verifyCommon)
//===----------------------------------------------------------------------===//

// A misspelled unit attribute used to be kept and ignored: the GEMM silently
// became non-transposed.
func.func @misspelled_attr(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{'moec.gemm' op has an unknown attribute 'transpose_bb'; did you mean 'transpose_b'?}}
  moec.gemm %a, %b -> %c {transpose_bb, config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @unknown_attr(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{has an unknown attribute 'alpha'; known attributes: activation config transpose_a transpose_b}}
  moec.gemm %a, %b -> %c {alpha = 2.0 : f32, config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @unknown_moec_attr(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{unknown moec attribute 'moec.transpose_b'}}
  moec.gemm %a, %b -> %c {moec.transpose_b, config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

// Another dialect's attribute is that dialect's business.
func.func @foreign_attr_ok(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  moec.gemm %a, %b -> %c {test.note = "x", config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

// -----

func.func @misspelled_attr_moe_align(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_align' op has an unknown attribute 'num_expert'; did you mean 'num_experts'?}}
  moec.moe_align %ids -> %sorted, %experts, %n {num_experts = 8, num_expert = 8, config = #moec.config<>} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

// -----

// Workgroup (LDS) memory is not a buffer a kernel launch can take.
func.func @workgroup_memory_space(%a: memref<64x64xf16, 3>, %b: memref<64x64xf16>, %c: memref<64x64xf16>) {
  // expected-error @below {{'moec.gemm' op A ('memref<64x64xf16, 3>') is in memory space 3 : i64; moec ops take buffers in global device memory}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<64x64xf16, 3>, memref<64x64xf16> -> memref<64x64xf16>
  return
}

// -----

func.func @gpu_workgroup_space(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16, #gpu.address_space<workgroup>>) {
  // expected-error @below {{C ('memref<?x?xf16, #gpu.address_space<workgroup>>') is in memory space #gpu.address_space<workgroup>}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16, #gpu.address_space<workgroup>>
  return
}

// -----

func.func @global_space_ok(%a: memref<?x?xf16, #gpu.address_space<global>>, %b: memref<?x?xf16, 1>, %c: memref<?x?xf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x?xf16, #gpu.address_space<global>>, memref<?x?xf16, 1> -> memref<?x?xf16>
  return
}

// -----

// 2^62 columns of f16: 2^63 bytes per row. Used to be accepted, and the
// lowering's size arithmetic overflowed.
func.func @huge_static_shape(%a: memref<?x4611686018427387904xf16>, %b: memref<4611686018427387904x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{'moec.gemm' op A ('memref<?x4611686018427387904xf16>') is too large: its static sizes exceed the 2^48 bytes (256 TiB) a buffer may hold}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<?x4611686018427387904xf16>, memref<4611686018427387904x?xf16> -> memref<?x?xf16>
  return
}

// -----

// Each size fits, the product does not.
func.func @huge_product(%a: memref<16777216x16777216xf16>, %b: memref<16777216x16xf16>, %c: memref<16777216x16xf16>) {
  // expected-error @below {{A ('memref<16777216x16777216xf16>') is too large}}
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<16777216x16777216xf16>, memref<16777216x16xf16> -> memref<16777216x16xf16>
  return
}

// -----

func.func @moe_gemm_mxfp4_f16_activations(%a: memref<?x64xf16>, %w: memref<8x32x32xi8>, %c: memref<?x2x32xbf16>,
    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x32x2xf8E8M0FNU>) {
  // expected-error @below {{'moec.moe_gemm' op mxfp4 weights need bf16 activations (A), not 'f16'}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x32x2xf8E8M0FNU>) {top_k = 2 : i64, mxfp4, config = #moec.config<>} : memref<?x64xf16>, memref<8x32x32xi8> -> memref<?x2x32xbf16>
  return
}

// -----

func.func @moe_gemm_mxfp4_bf16_weights(%a: memref<?x64xbf16>, %w: memref<8x32x32xbf16>, %c: memref<?x2x32xbf16>,
    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x32x2xf8E8M0FNU>) {
  // expected-error @below {{'moec.moe_gemm' op mxfp4 W must be the packed bytes [E, N, K/2] as i8 (two e2m1 values per byte along K), not 'bf16'}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x32x2xf8E8M0FNU>) {top_k = 2 : i64, mxfp4, config = #moec.config<>} : memref<?x64xbf16>, memref<8x32x32xbf16> -> memref<?x2x32xbf16>
  return
}

// -----

func.func @moe_gemm_mxfp4_k_not_32(%a: memref<?x48xbf16>, %w: memref<8x32x24xi8>, %c: memref<?x2x32xbf16>,
    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x32x2xf8E8M0FNU>) {
  // expected-error @below {{'moec.moe_gemm' op mxfp4 needs K (48) to be a multiple of 32, the scale block}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x32x2xf8E8M0FNU>) {top_k = 2 : i64, mxfp4, config = #moec.config<>} : memref<?x48xbf16>, memref<8x32x24xi8> -> memref<?x2x32xbf16>
  return
}

// -----

func.func @moe_gemm_mxfp4_unpacked_k(%a: memref<?x64xbf16>, %w: memref<8x32x64xi8>, %c: memref<?x2x32xbf16>,
    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x32x2xf8E8M0FNU>) {
  // expected-error @below {{'moec.moe_gemm' op K mismatch: K of A (64) does not match K of W (2 x its last dim, packed) (128)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x32x2xf8E8M0FNU>) {top_k = 2 : i64, mxfp4, config = #moec.config<>} : memref<?x64xbf16>, memref<8x32x64xi8> -> memref<?x2x32xbf16>
  return
}

// -----

func.func @moe_gemm_mxfp4_f32_scale(%a: memref<?x64xbf16>, %w: memref<8x32x32xi8>, %c: memref<?x2x32xbf16>,
    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x32x2xf32>) {
  // expected-error @below {{'moec.moe_gemm' op mxfp4 b_scale must be f8E8M0FNU (one e8m0 exponent per 32 K elements), not 'f32'}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x32x2xf32>) {top_k = 2 : i64, mxfp4, config = #moec.config<>} : memref<?x64xbf16>, memref<8x32x32xi8> -> memref<?x2x32xbf16>
  return
}

// -----

func.func @moe_gemm_mxfp4_scale_rank(%a: memref<?x64xbf16>, %w: memref<8x32x32xi8>, %c: memref<?x2x32xbf16>,
    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x32xf8E8M0FNU>) {
  // expected-error @below {{'moec.moe_gemm' op mxfp4 b_scale must be [E, N, K/32], not rank 2}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x32xf8E8M0FNU>) {top_k = 2 : i64, mxfp4, config = #moec.config<>} : memref<?x64xbf16>, memref<8x32x32xi8> -> memref<?x2x32xbf16>
  return
}

// -----

func.func @moe_gemm_mxfp4_scale_blocks(%a: memref<?x64xbf16>, %w: memref<8x32x32xi8>, %c: memref<?x2x32xbf16>,
    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x32x4xf8E8M0FNU>) {
  // expected-error @below {{'moec.moe_gemm' op b_scale shape: dim 2 of b_scale (4) does not match K/32 (2)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x32x4xf8E8M0FNU>) {top_k = 2 : i64, mxfp4, config = #moec.config<>} : memref<?x64xbf16>, memref<8x32x32xi8> -> memref<?x2x32xbf16>
  return
}

// -----

func.func @moe_gemm_mxfp4_scale_experts(%a: memref<?x64xbf16>, %w: memref<8x32x32xi8>, %c: memref<?x2x32xbf16>,
    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<4x32x2xf8E8M0FNU>) {
  // expected-error @below {{'moec.moe_gemm' op b_scale shape: dim 0 of b_scale (4) does not match experts (8)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<4x32x2xf8E8M0FNU>) {top_k = 2 : i64, mxfp4, config = #moec.config<>} : memref<?x64xbf16>, memref<8x32x32xi8> -> memref<?x2x32xbf16>
  return
}

// -----

func.func @moe_gemm_mxfp4_scale_n(%a: memref<?x64xbf16>, %w: memref<8x32x32xi8>, %c: memref<?x2x32xbf16>,
    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x16x2xf8E8M0FNU>) {
  // expected-error @below {{'moec.moe_gemm' op b_scale shape: dim 1 of b_scale (16) does not match N (32)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x16x2xf8E8M0FNU>) {top_k = 2 : i64, mxfp4, config = #moec.config<>} : memref<?x64xbf16>, memref<8x32x32xi8> -> memref<?x2x32xbf16>
  return
}

// -----

func.func @moe_gemm_mxfp4_no_scale(%a: memref<?x64xbf16>, %w: memref<8x32x32xi8>, %c: memref<?x2x32xbf16>,
    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>) {
  // expected-error @below {{'moec.moe_gemm' op mxfp4 weights need b_scale [E, N, K/32] (f8E8M0FNU)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) {top_k = 2 : i64, mxfp4, config = #moec.config<>} : memref<?x64xbf16>, memref<8x32x32xi8> -> memref<?x2x32xbf16>
  return
}

// -----

func.func @moe_gemm_mxfp4_a_scale(%a: memref<?x64xbf16>, %w: memref<8x32x32xi8>, %c: memref<?x2x32xbf16>,
    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %as: memref<f32>, %bs: memref<8x32x2xf8E8M0FNU>) {
  // expected-error @below {{'moec.moe_gemm' op mxfp4 weights take no a_scale (bf16 A)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) a_scale(%as : memref<f32>) b_scale(%bs : memref<8x32x2xf8E8M0FNU>) {top_k = 2 : i64, mxfp4, config = #moec.config<>} : memref<?x64xbf16>, memref<8x32x32xi8> -> memref<?x2x32xbf16>
  return
}

// -----

func.func @moe_gemm_mxfp4_groups(%a: memref<?x64xbf16>, %w: memref<8x32x32xi8>, %c: memref<?x2x32xbf16>,
    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x32x2xf8E8M0FNU>) {
  // expected-error @below {{'moec.moe_gemm' op mxfp4 weights carry their own blocks of 32 K elements; group_n/group_k are for fp8_w8a8}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x32x2xf8E8M0FNU>) {top_k = 2 : i64, mxfp4, group_n = 32 : i64, group_k = 32 : i64, config = #moec.config<>} : memref<?x64xbf16>, memref<8x32x32xi8> -> memref<?x2x32xbf16>
  return
}

// -----

func.func @moe_gemm_e8m0_scale_without_mxfp4(%a: memref<?x64xbf16>, %w: memref<8x32x64xi8>, %c: memref<?x2x32xbf16>,
    %s: memref<?xi32>, %e: memref<?xi32>, %n: memref<1xi32>, %bs: memref<8x32xf8E8M0FNU>) {
  // expected-error @below {{'moec.moe_gemm' op b_scale must be f32, not 'f8E8M0FNU' (f8E8M0FNU scales are for mxfp4 weights)}}
  moec.moe_gemm %a, %w -> %c routing(%s, %e, %n : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%bs : memref<8x32xf8E8M0FNU>) {top_k = 2 : i64, config = #moec.config<>} : memref<?x64xbf16>, memref<8x32x64xi8> -> memref<?x2x32xbf16>
  return
}

// fp8_ds_mla KV cache (DeepSeek-V3.2's 656-byte rows).

// -----

func.func @attn_fp8_row_bytes(%q: memref<?x16x576xbf16>, %kv: memref<?x64x576xi8>, %idx: memref<?x2048xi32>, %out: memref<?x16x512xbf16>) {
  // A 576-byte row would be fp8 codes without scales: not the DeepSeek layout.
  // expected-error @below {{'moec.sparse_attention' op kv_format fp8_ds_mla rows are 656 bytes (512 e4m3 + 4 f32 scales + 64 bf16), kv_cache's last dimension is 576}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, kv_format = #moec.kv_format<fp8_ds_mla>, config = #moec.config<>} : memref<?x16x576xbf16>, memref<?x64x576xi8>, memref<?x2048xi32> -> memref<?x16x512xbf16>
  return
}

// -----

func.func @attn_fp8_kv_type(%q: memref<?x16x576xbf16>, %kv: memref<?x64x656xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x16x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op kv_format fp8_ds_mla takes kv_cache as i8 bytes [num_blocks, page_size, 656], not 'bf16'}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, kv_format = #moec.kv_format<fp8_ds_mla>, config = #moec.config<>} : memref<?x16x576xbf16>, memref<?x64x656xbf16>, memref<?x2048xi32> -> memref<?x16x512xbf16>
  return
}

// -----

func.func @attn_fp8_q_f16(%q: memref<?x16x576xf16>, %kv: memref<?x64x656xi8>, %idx: memref<?x2048xi32>, %out: memref<?x16x512xf16>) {
  // expected-error @below {{'moec.sparse_attention' op kv_format fp8_ds_mla takes a bf16 q, not 'f16'}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, kv_format = #moec.kv_format<fp8_ds_mla>, config = #moec.config<>} : memref<?x16x576xf16>, memref<?x64x656xi8>, memref<?x2048xi32> -> memref<?x16x512xf16>
  return
}

// -----

func.func @attn_fp8_d_qk(%q: memref<?x16x512xbf16>, %kv: memref<?x64x656xi8>, %idx: memref<?x2048xi32>, %out: memref<?x16x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op kv_format fp8_ds_mla has d_qk = 576 (q's last dimension) and d_v = 512 (out's), not d_qk = 512, d_v = 512}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, kv_format = #moec.kv_format<fp8_ds_mla>, config = #moec.config<>} : memref<?x16x512xbf16>, memref<?x64x656xi8>, memref<?x2048xi32> -> memref<?x16x512xbf16>
  return
}

// -----

func.func @attn_fp8_d_v(%q: memref<?x16x576xbf16>, %kv: memref<?x64x656xi8>, %idx: memref<?x2048xi32>, %out: memref<?x16x448xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op kv_format fp8_ds_mla has d_qk = 576 (q's last dimension) and d_v = 512 (out's), not d_qk = 576, d_v = 448}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, kv_format = #moec.kv_format<fp8_ds_mla>, config = #moec.config<>} : memref<?x16x576xbf16>, memref<?x64x656xi8>, memref<?x2048xi32> -> memref<?x16x448xbf16>
  return
}

// -----

func.func @attn_fp8_out_f16(%q: memref<?x16x576xbf16>, %kv: memref<?x64x656xi8>, %idx: memref<?x2048xi32>, %out: memref<?x16x512xf16>) {
  // expected-error @below {{'moec.sparse_attention' op kv_format fp8_ds_mla writes a bf16 or f32 out, not 'f16'}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, kv_format = #moec.kv_format<fp8_ds_mla>, config = #moec.config<>} : memref<?x16x576xbf16>, memref<?x64x656xi8>, memref<?x2048xi32> -> memref<?x16x512xf16>
  return
}

// -----

func.func @attn_i8_without_format(%q: memref<?x16x576xbf16>, %kv: memref<?x64x656xi8>, %idx: memref<?x2048xi32>, %out: memref<?x16x512xbf16>) {
  // expected-error @below {{'moec.sparse_attention' op an i8 kv_cache holds the bytes of a quantized layout: name it with kv_format (fp8_ds_mla)}}
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<>} : memref<?x16x576xbf16>, memref<?x64x656xi8>, memref<?x2048xi32> -> memref<?x16x512xbf16>
  return
}
