// RUN: moec-opt %s | FileCheck %s
// RUN: moec-opt %s | moec-opt | FileCheck %s
// RUN: moec-opt %s -mlir-print-op-generic | moec-opt | FileCheck %s
// RUN: moec-opt %s -mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// Round trip of every op with every optional operand and attribute, and of
// #moec.config / #moec.target. The pretty form is printed, parsed and printed
// again, and the generic form parses back to the same pretty form.

//===----------------------------------------------------------------------===//
// #moec.config
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @gemm_minimal
// CHECK: moec.gemm %{{.*}}, %{{.*}} -> %{{.*}} {config = #moec.config<>} : memref<64x32xf16>, memref<32x16xf16> -> memref<64x16xf16>
func.func @gemm_minimal(%a: memref<64x32xf16>, %b: memref<32x16xf16>, %c: memref<64x16xf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<>} : memref<64x32xf16>, memref<32x16xf16> -> memref<64x16xf16>
  return
}

// Every parameter spelled out at its default value: the printer elides them
// all, and the default activation too.
// CHECK-LABEL: func @config_all_defaults_elided
// CHECK: moec.gemm %{{.*}}, %{{.*}} -> %{{.*}} {config = #moec.config<>} : memref<64x32xf16>, memref<32x16xf16> -> memref<64x16xf16>
// GENERIC-LABEL: sym_name = "config_all_defaults_elided"
// GENERIC: "moec.gemm"(%{{.*}}, %{{.*}}, %{{.*}}) <{activation = #moec.activation<none>, config = #moec.config<>, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0>}>
func.func @config_all_defaults_elided(%a: memref<64x32xf16>, %b: memref<32x16xf16>, %c: memref<64x16xf16>) {
  moec.gemm %a, %b -> %c {
    activation = #moec.activation<none>,
    config = #moec.config<block_m = 64, block_n = 64, block_k = 32, group_m = 8,
                          num_warps = 4, num_stages = 2, waves_per_eu = 0,
                          matrix_instr_nonkdim = 16, kpack = 1, epilogue = direct,
                          block_h = 16, block_kv = 32>
  } : memref<64x32xf16>, memref<32x16xf16> -> memref<64x16xf16>
  return
}

// Every parameter away from its default: all are printed, in declaration
// order whatever order they were written in.
// CHECK-LABEL: func @config_all_params
// CHECK: moec.gemm %{{.*}}, %{{.*}} -> %{{.*}} {config = #moec.config<block_m = 128, block_n = 256, block_k = 64, group_m = 4, num_warps = 8, num_stages = 3, waves_per_eu = 2, matrix_instr_nonkdim = 32, kpack = 2, epilogue = lds, block_h = 32, block_kv = 64>} : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
// GENERIC-LABEL: sym_name = "config_all_params"
// GENERIC: config = #moec.config<block_m = 128, block_n = 256, block_k = 64, group_m = 4, num_warps = 8, num_stages = 3, waves_per_eu = 2, matrix_instr_nonkdim = 32, kpack = 2, epilogue = lds, block_h = 32, block_kv = 64>
func.func @config_all_params(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {
    config = #moec.config<block_kv = 64, block_h = 32, epilogue = lds, kpack = 2,
                          matrix_instr_nonkdim = 32, waves_per_eu = 2,
                          num_stages = 3, num_warps = 8, group_m = 4,
                          block_k = 64, block_n = 256, block_m = 128>
  } : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
  return
}

// Only the parameters that differ from the defaults are printed; the
// legacy num_stages = 0 is kept as written, not rewritten to 2.
// CHECK-LABEL: func @config_some_defaults_elided
// CHECK: config = #moec.config<block_m = 16, num_stages = 0, epilogue = lds>
// CHECK: config = #moec.config<block_n = 128, num_stages = 1, waves_per_eu = 8>
// CHECK: config = #moec.config<block_k = 256, group_m = 1, num_warps = 1, num_stages = 8>
// CHECK: config = #moec.config<block_m = 256, group_m = 256, num_warps = 16, waves_per_eu = 16>
func.func @config_some_defaults_elided(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 16, block_n = 64, num_stages = 0, epilogue = lds>}
    : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  moec.gemm %a, %b -> %c {config = #moec.config<block_n = 128, num_stages = 1, waves_per_eu = 8, epilogue = direct>}
    : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  moec.gemm %a, %b -> %c {config = #moec.config<block_k = 256, group_m = 1, num_warps = 1, num_stages = 8>}
    : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 256, group_m = 256, num_warps = 16, waves_per_eu = 16>}
    : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

//===----------------------------------------------------------------------===//
// moec.gemm
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @gemm_bias_activations
// CHECK: moec.gemm %[[A:.*]], %[[B:.*]] -> %[[C:.*]] bias(%[[BIAS:.*]] : memref<4096xbf16>) {config = #moec.config<>} : memref<?x14336xbf16>, memref<14336x4096xbf16> -> memref<?x4096xbf16>
// CHECK: moec.gemm %[[A]], %[[B]] -> %[[C]] {activation = #moec.activation<relu>, config = #moec.config<>}
// CHECK: moec.gemm %[[A]], %[[B]] -> %[[C]] {activation = #moec.activation<silu>, config = #moec.config<>}
// CHECK: moec.gemm %[[A]], %[[B]] -> %[[C]] bias(%[[BIAS]] : memref<4096xbf16>) {activation = #moec.activation<gelu>, config = #moec.config<>}
// CHECK: moec.gemm %[[A]], %[[B]] -> %[[C]] bias(%[[BIASF32:.*]] : memref<4096xf32>) {activation = #moec.activation<gelu_tanh>, config = #moec.config<>}
// GENERIC-LABEL: sym_name = "gemm_bias_activations"
// GENERIC: "moec.gemm"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{activation = #moec.activation<none>, config = #moec.config<>, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0>}>
// GENERIC: activation = #moec.activation<relu>
// GENERIC: activation = #moec.activation<silu>
// GENERIC: activation = #moec.activation<gelu>
// GENERIC: activation = #moec.activation<gelu_tanh>
func.func @gemm_bias_activations(%a: memref<?x14336xbf16>, %b: memref<14336x4096xbf16>,
                                 %c: memref<?x4096xbf16>, %bias: memref<4096xbf16>,
                                 %bias32: memref<4096xf32>) {
  moec.gemm %a, %b -> %c bias(%bias : memref<4096xbf16>) {config = #moec.config<>}
    : memref<?x14336xbf16>, memref<14336x4096xbf16> -> memref<?x4096xbf16>
  moec.gemm %a, %b -> %c {activation = #moec.activation<relu>, config = #moec.config<>}
    : memref<?x14336xbf16>, memref<14336x4096xbf16> -> memref<?x4096xbf16>
  moec.gemm %a, %b -> %c {activation = #moec.activation<silu>, config = #moec.config<>}
    : memref<?x14336xbf16>, memref<14336x4096xbf16> -> memref<?x4096xbf16>
  moec.gemm %a, %b -> %c bias(%bias : memref<4096xbf16>) {activation = #moec.activation<gelu>, config = #moec.config<>}
    : memref<?x14336xbf16>, memref<14336x4096xbf16> -> memref<?x4096xbf16>
  moec.gemm %a, %b -> %c bias(%bias32 : memref<4096xf32>) {activation = #moec.activation<gelu_tanh>, config = #moec.config<>}
    : memref<?x14336xbf16>, memref<14336x4096xbf16> -> memref<?x4096xbf16>
  return
}

// A is K x M with transpose_a, B is N x K with transpose_b.
// CHECK-LABEL: func @gemm_transposes
// CHECK: moec.gemm %{{.*}}, %{{.*}} -> %{{.*}} {config = #moec.config<>, transpose_a} : memref<32x64xf16>, memref<32x16xf16> -> memref<64x16xf16>
// CHECK: moec.gemm %{{.*}}, %{{.*}} -> %{{.*}} {config = #moec.config<>, transpose_b} : memref<64x32xf16>, memref<16x32xf16> -> memref<64x16xf16>
// CHECK: moec.gemm %{{.*}}, %{{.*}} -> %{{.*}} {config = #moec.config<>, transpose_a, transpose_b} : memref<32x64xf16>, memref<16x32xf16> -> memref<64x16xf32>
// GENERIC-LABEL: sym_name = "gemm_transposes"
// GENERIC: "moec.gemm"{{.*}}transpose_a}>
// GENERIC: "moec.gemm"{{.*}}transpose_b}>
// GENERIC: "moec.gemm"{{.*}}transpose_a, transpose_b}>
func.func @gemm_transposes(%at: memref<32x64xf16>, %a: memref<64x32xf16>,
                           %b: memref<32x16xf16>, %bt: memref<16x32xf16>,
                           %c: memref<64x16xf16>, %c32: memref<64x16xf32>) {
  moec.gemm %at, %b -> %c {transpose_a, config = #moec.config<>}
    : memref<32x64xf16>, memref<32x16xf16> -> memref<64x16xf16>
  moec.gemm %a, %bt -> %c {transpose_b, config = #moec.config<>}
    : memref<64x32xf16>, memref<16x32xf16> -> memref<64x16xf16>
  moec.gemm %at, %bt -> %c32 {transpose_b, transpose_a, config = #moec.config<>}
    : memref<32x64xf16>, memref<16x32xf16> -> memref<64x16xf32>
  return
}

// Static, partly dynamic and fully dynamic shapes.
// CHECK-LABEL: func @gemm_shapes
// CHECK: moec.gemm {{.*}} : memref<128x256xbf16>, memref<256x512xbf16> -> memref<128x512xbf16>
// CHECK: moec.gemm {{.*}} : memref<?x256xbf16>, memref<256x?xbf16> -> memref<?x?xf32>
// CHECK: moec.gemm {{.*}} : memref<?x?xbf16>, memref<?x?xbf16> -> memref<128x512xbf16>
func.func @gemm_shapes(%a: memref<128x256xbf16>, %b: memref<256x512xbf16>, %c: memref<128x512xbf16>,
                       %ad: memref<?x256xbf16>, %bd: memref<256x?xbf16>, %cd: memref<?x?xf32>,
                       %add: memref<?x?xbf16>, %bdd: memref<?x?xbf16>) {
  moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 128>}
    : memref<128x256xbf16>, memref<256x512xbf16> -> memref<128x512xbf16>
  moec.gemm %ad, %bd -> %cd {config = #moec.config<>}
    : memref<?x256xbf16>, memref<256x?xbf16> -> memref<?x?xf32>
  moec.gemm %add, %bdd -> %c {config = #moec.config<>}
    : memref<?x?xbf16>, memref<?x?xbf16> -> memref<128x512xbf16>
  return
}

// Every fp8 type, both encodings, with no scales, per-tensor scales (rank 0
// and [1]), per-row scale_a [M] and per-column scale_b [N], and with bias.
// CHECK-LABEL: func @gemm_fp8
// CHECK: moec.gemm %{{.*}}, %{{.*}} -> %{{.*}} {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FNUZ>, memref<4096x1024xf8E4M3FNUZ> -> memref<?x1024xbf16>
// CHECK: moec.gemm %{{.*}}, %{{.*}} -> %{{.*}} scale_a(%{{.*}} : memref<f32>) scale_b(%{{.*}} : memref<f32>) {config = #moec.config<block_k = 64>} : memref<?x4096xf8E5M2FNUZ>, memref<4096x1024xf8E5M2FNUZ> -> memref<?x1024xf16>
// CHECK: moec.gemm %{{.*}}, %{{.*}} -> %{{.*}} scale_a(%{{.*}} : memref<1xf32>) scale_b(%{{.*}} : memref<1xf32>) {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FNUZ>, memref<4096x1024xf8E5M2FNUZ> -> memref<?x1024xf32>
// CHECK: moec.gemm %{{.*}}, %{{.*}} -> %{{.*}} bias(%{{.*}} : memref<1024xbf16>) scale_a(%{{.*}} : memref<?xf32>) scale_b(%{{.*}} : memref<1024xf32>) {activation = #moec.activation<silu>, config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FN>, memref<4096x1024xf8E4M3FN> -> memref<?x1024xbf16>
// CHECK: moec.gemm %{{.*}}, %{{.*}} -> %{{.*}} scale_a(%{{.*}} : memref<f32>) scale_b(%{{.*}} : memref<1024xf32>) {config = #moec.config<block_k = 64>, transpose_b} : memref<?x4096xf8E5M2>, memref<1024x4096xf8E5M2> -> memref<?x1024xbf16>
// CHECK: moec.gemm %{{.*}}, %{{.*}} -> %{{.*}} scale_b(%{{.*}} : memref<1xf32>) {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FN>, memref<4096x1024xf8E5M2> -> memref<?x1024xbf16>
// GENERIC-LABEL: sym_name = "gemm_fp8"
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0>
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 1>
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 1>
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1>
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 1>
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 1>
func.func @gemm_fp8(%a_e4fnuz: memref<?x4096xf8E4M3FNUZ>, %b_e4fnuz: memref<4096x1024xf8E4M3FNUZ>,
                    %a_e5fnuz: memref<?x4096xf8E5M2FNUZ>, %b_e5fnuz: memref<4096x1024xf8E5M2FNUZ>,
                    %a_e4: memref<?x4096xf8E4M3FN>, %b_e4: memref<4096x1024xf8E4M3FN>,
                    %a_e5: memref<?x4096xf8E5M2>, %bt_e5: memref<1024x4096xf8E5M2>,
                    %b_e5: memref<4096x1024xf8E5M2>,
                    %c: memref<?x1024xbf16>, %c16: memref<?x1024xf16>, %c32: memref<?x1024xf32>,
                    %bias: memref<1024xbf16>, %s0: memref<f32>, %s1: memref<1xf32>,
                    %s_rows: memref<?xf32>, %s_cols: memref<1024xf32>) {
  moec.gemm %a_e4fnuz, %b_e4fnuz -> %c {config = #moec.config<block_k = 64>}
    : memref<?x4096xf8E4M3FNUZ>, memref<4096x1024xf8E4M3FNUZ> -> memref<?x1024xbf16>
  moec.gemm %a_e5fnuz, %b_e5fnuz -> %c16 scale_a(%s0 : memref<f32>) scale_b(%s0 : memref<f32>)
    {config = #moec.config<block_k = 64>}
    : memref<?x4096xf8E5M2FNUZ>, memref<4096x1024xf8E5M2FNUZ> -> memref<?x1024xf16>
  moec.gemm %a_e4fnuz, %b_e5fnuz -> %c32 scale_a(%s1 : memref<1xf32>) scale_b(%s1 : memref<1xf32>)
    {config = #moec.config<block_k = 64>}
    : memref<?x4096xf8E4M3FNUZ>, memref<4096x1024xf8E5M2FNUZ> -> memref<?x1024xf32>
  moec.gemm %a_e4, %b_e4 -> %c bias(%bias : memref<1024xbf16>) scale_a(%s_rows : memref<?xf32>)
    scale_b(%s_cols : memref<1024xf32>)
    {activation = #moec.activation<silu>, config = #moec.config<block_k = 64>}
    : memref<?x4096xf8E4M3FN>, memref<4096x1024xf8E4M3FN> -> memref<?x1024xbf16>
  moec.gemm %a_e5, %bt_e5 -> %c scale_a(%s0 : memref<f32>) scale_b(%s_cols : memref<1024xf32>)
    {transpose_b, config = #moec.config<block_k = 64>}
    : memref<?x4096xf8E5M2>, memref<1024x4096xf8E5M2> -> memref<?x1024xbf16>
  moec.gemm %a_e4, %b_e5 -> %c scale_b(%s1 : memref<1xf32>) {config = #moec.config<block_k = 64>}
    : memref<?x4096xf8E4M3FN>, memref<4096x1024xf8E5M2> -> memref<?x1024xbf16>
  return
}

//===----------------------------------------------------------------------===//
// moec.moe_align
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @moe_align
// CHECK: moec.moe_align %{{.*}} -> %{{.*}}, %{{.*}}, %{{.*}} {config = #moec.config<>, num_experts = 8 : i64} : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
// 16 tokens x top-2 + 8 experts x (16 - 1) = 152 ids in ceil(152 / 16) = 10 blocks.
// CHECK: moec.moe_align %{{.*}} -> %{{.*}}, %{{.*}}, %{{.*}} {config = #moec.config<block_m = 16>, num_experts = 8 : i64} : memref<16x2xi32> -> memref<152xi32>, memref<10xi32>, memref<1xi32>
// CHECK: moec.moe_align %{{.*}} -> %{{.*}}, %{{.*}}, %{{.*}} {config = #moec.config<block_m = 128>, num_experts = 256 : i64} : memref<?x8xi32> -> memref<?xi32>, memref<?xi32>, memref<?xi32>
// GENERIC-LABEL: sym_name = "moe_align"
// GENERIC: "moec.moe_align"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{config = #moec.config<>, num_experts = 8 : i64}> : (memref<?x2xi32>, memref<?xi32>, memref<?xi32>, memref<1xi32>) -> ()
func.func @moe_align(%ids: memref<?x2xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>,
                     %npad: memref<1xi32>, %ids16: memref<16x2xi32>, %sorted152: memref<152xi32>,
                     %experts10: memref<10xi32>, %ids8: memref<?x8xi32>, %npad_dyn: memref<?xi32>) {
  moec.moe_align %ids -> %sorted, %experts, %npad {num_experts = 8 : i64, config = #moec.config<>}
    : memref<?x2xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  moec.moe_align %ids16 -> %sorted152, %experts10, %npad
    {num_experts = 8 : i64, config = #moec.config<block_m = 16>}
    : memref<16x2xi32> -> memref<152xi32>, memref<10xi32>, memref<1xi32>
  moec.moe_align %ids8 -> %sorted, %experts, %npad_dyn
    {num_experts = 256 : i64, config = #moec.config<block_m = 128>}
    : memref<?x8xi32> -> memref<?xi32>, memref<?xi32>, memref<?xi32>
  return
}

// The expert-parallel map comes after the outputs and is the last operand.
// CHECK-LABEL: func @moe_align_expert_map
// CHECK: moec.moe_align %{{.*}} -> %{{.*}}, %{{.*}}, %{{.*}} expert_map(%{{.*}} : memref<256xi32>) {config = #moec.config<>, num_experts = 256 : i64} : memref<?x8xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
// GENERIC-LABEL: sym_name = "moe_align_expert_map"
// GENERIC: "moec.moe_align"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{config = #moec.config<>, num_experts = 256 : i64}> : (memref<?x8xi32>, memref<?xi32>, memref<?xi32>, memref<1xi32>, memref<256xi32>) -> ()
func.func @moe_align_expert_map(%ids: memref<?x8xi32>, %sorted: memref<?xi32>, %experts: memref<?xi32>,
                                %npad: memref<1xi32>, %map: memref<256xi32>) {
  moec.moe_align %ids -> %sorted, %experts, %npad expert_map(%map : memref<256xi32>)
    {num_experts = 256 : i64, config = #moec.config<>}
    : memref<?x8xi32> -> memref<?xi32>, memref<?xi32>, memref<1xi32>
  return
}

//===----------------------------------------------------------------------===//
// moec.moe_gemm
//===----------------------------------------------------------------------===//

// Quantization none (bf16 / f16), without and with topk_weights, C
// [tokens, top_k, N].
// CHECK-LABEL: func @moe_gemm_unquantized
// CHECK: moec.moe_gemm %{{.*}}, %{{.*}} -> %{{.*}} routing(%{{.*}}, %{{.*}}, %{{.*}} : memref<?xi32>, memref<?xi32>, memref<1xi32>) {config = #moec.config<>, top_k = 2 : i64} : memref<?x4096xbf16>, memref<8x28672x4096xbf16> -> memref<?x2x28672xbf16>
// CHECK: moec.moe_gemm %{{.*}}, %{{.*}} -> %{{.*}} routing(%{{.*}}, %{{.*}}, %{{.*}} : memref<?xi32>, memref<?xi32>, memref<1xi32>) topk_weights(%{{.*}} : memref<?x2xf32>) {config = #moec.config<block_m = 16>, top_k = 2 : i64} : memref<?x4096xf16>, memref<8x28672x4096xf16> -> memref<?x2x28672xf32>
// CHECK: moec.moe_gemm {{.*}} : memref<64x4096xbf16>, memref<8x1024x4096xbf16> -> memref<64x2x1024xbf16>
// GENERIC-LABEL: sym_name = "moe_gemm_unquantized"
// GENERIC: "moec.moe_gemm"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{config = #moec.config<>, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0, 0, 0>, top_k = 2 : i64}>
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 0, 0>
func.func @moe_gemm_unquantized(%a: memref<?x4096xbf16>, %w: memref<8x28672x4096xbf16>,
                                %c: memref<?x2x28672xbf16>, %a16: memref<?x4096xf16>,
                                %w16: memref<8x28672x4096xf16>, %c32: memref<?x2x28672xf32>,
                                %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>,
                                %tw: memref<?x2xf32>, %as: memref<64x4096xbf16>,
                                %ws: memref<8x1024x4096xbf16>, %cs: memref<64x2x1024xbf16>,
                                %sorted_s: memref<256xi32>, %experts_s: memref<4xi32>) {
  moec.moe_gemm %a, %w -> %c routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    {top_k = 2 : i64, config = #moec.config<>}
    : memref<?x4096xbf16>, memref<8x28672x4096xbf16> -> memref<?x2x28672xbf16>
  moec.moe_gemm %a16, %w16 -> %c32 routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    topk_weights(%tw : memref<?x2xf32>) {top_k = 2 : i64, config = #moec.config<block_m = 16>}
    : memref<?x4096xf16>, memref<8x28672x4096xf16> -> memref<?x2x28672xf32>
  moec.moe_gemm %as, %ws -> %cs routing(%sorted_s, %experts_s, %npad : memref<256xi32>, memref<4xi32>, memref<1xi32>)
    {top_k = 2 : i64, config = #moec.config<>}
    : memref<64x4096xbf16>, memref<8x1024x4096xbf16> -> memref<64x2x1024xbf16>
  return
}

// MXFP4 weights (gpt-oss w13, TP 1): W [E, N, K/2] packed e2m1 bytes,
// b_scale [E, N, K/32] e8m0; the mxfp4 attribute and the scale type
// survive the round trip.
// CHECK-LABEL: func @moe_gemm_mxfp4
// CHECK: moec.moe_gemm %{{.*}}, %{{.*}} -> %{{.*}} routing(%{{.*}}, %{{.*}}, %{{.*}} : memref<?xi32>, memref<?xi32>, memref<1xi32>) b_scale(%{{.*}} : memref<128x5760x90xf8E8M0FNU>) {config = #moec.config<>, mxfp4, top_k = 4 : i64} : memref<?x2880xbf16>, memref<128x5760x1440xi8> -> memref<?x4x5760xbf16>
// CHECK: moec.moe_gemm {{.*}} b_scale(%{{.*}} : memref<?x?x?xf8E8M0FNU>) {a_per_copy, config = #moec.config<>, mxfp4, reduce, top_k = 4 : i64} : memref<?x?xbf16>, memref<?x?x?xi8> -> memref<?x?xbf16>
func.func @moe_gemm_mxfp4(%a: memref<?x2880xbf16>, %w: memref<128x5760x1440xi8>,
                          %c: memref<?x4x5760xbf16>, %bs: memref<128x5760x90xf8E8M0FNU>,
                          %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>,
                          %ad: memref<?x?xbf16>, %wd: memref<?x?x?xi8>, %cd: memref<?x?xbf16>,
                          %bsd: memref<?x?x?xf8E8M0FNU>, %tw: memref<?x4xf32>) {
  moec.moe_gemm %a, %w -> %c routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    b_scale(%bs : memref<128x5760x90xf8E8M0FNU>) {top_k = 4 : i64, mxfp4, config = #moec.config<>}
    : memref<?x2880xbf16>, memref<128x5760x1440xi8> -> memref<?x4x5760xbf16>
  moec.moe_gemm %ad, %wd -> %cd routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    topk_weights(%tw : memref<?x4xf32>) b_scale(%bsd : memref<?x?x?xf8E8M0FNU>)
    {top_k = 4 : i64, mxfp4, a_per_copy, reduce, config = #moec.config<>}
    : memref<?x?xbf16>, memref<?x?x?xi8> -> memref<?x?xbf16>
  return
}

// The down projection: A has one row per routed copy (a_per_copy), the
// copies are weighted and reduced straight into C [tokens, N].
// CHECK-LABEL: func @moe_gemm_down_reduce
// CHECK: moec.moe_gemm %{{.*}}, %{{.*}} -> %{{.*}} routing(%{{.*}}, %{{.*}}, %{{.*}} : memref<?xi32>, memref<?xi32>, memref<1xi32>) topk_weights(%{{.*}} : memref<?x2xbf16>) {a_per_copy, config = #moec.config<>, reduce, top_k = 2 : i64} : memref<?x14336xbf16>, memref<8x4096x14336xbf16> -> memref<?x4096xbf16>
// CHECK: moec.moe_gemm %{{.*}}, %{{.*}} -> %{{.*}} routing({{.*}}) {a_per_copy, config = #moec.config<>, top_k = 2 : i64} : memref<128x14336xbf16>, memref<8x4096x14336xbf16> -> memref<64x2x4096xbf16>
// CHECK: moec.moe_gemm %{{.*}}, %{{.*}} -> %{{.*}} routing({{.*}}) {config = #moec.config<>, reduce, top_k = 2 : i64} : memref<64x14336xbf16>, memref<8x4096x14336xbf16> -> memref<64x4096xf32>
// GENERIC-LABEL: sym_name = "moe_gemm_down_reduce"
// GENERIC: <{a_per_copy, config = #moec.config<>, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 0, 0>, reduce, top_k = 2 : i64}>
func.func @moe_gemm_down_reduce(%a: memref<?x14336xbf16>, %w: memref<8x4096x14336xbf16>,
                                %c: memref<?x4096xbf16>, %sorted: memref<?xi32>,
                                %experts: memref<?xi32>, %npad: memref<1xi32>,
                                %tw: memref<?x2xbf16>, %a128: memref<128x14336xbf16>,
                                %c3: memref<64x2x4096xbf16>, %a64: memref<64x14336xbf16>,
                                %c64: memref<64x4096xf32>) {
  moec.moe_gemm %a, %w -> %c routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    topk_weights(%tw : memref<?x2xbf16>) {top_k = 2 : i64, a_per_copy, reduce, config = #moec.config<>}
    : memref<?x14336xbf16>, memref<8x4096x14336xbf16> -> memref<?x4096xbf16>
  moec.moe_gemm %a128, %w -> %c3 routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    {top_k = 2 : i64, a_per_copy, config = #moec.config<>}
    : memref<128x14336xbf16>, memref<8x4096x14336xbf16> -> memref<64x2x4096xbf16>
  moec.moe_gemm %a64, %w -> %c64 routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    {top_k = 2 : i64, reduce, config = #moec.config<>}
    : memref<64x14336xbf16>, memref<8x4096x14336xbf16> -> memref<64x4096xf32>
  return
}

// fp8_w8a8: per-tensor a_scale ([] or [1]) with per-expert b_scale [E],
// per-token a_scale ([M] or [M, 1]) with per-channel b_scale [E, N], on both
// fp8 encodings.
// CHECK-LABEL: func @moe_gemm_fp8_w8a8
// CHECK: moec.moe_gemm {{.*}} a_scale(%{{.*}} : memref<f32>) b_scale(%{{.*}} : memref<8xf32>) {config = #moec.config<block_k = 64>, top_k = 2 : i64} : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
// CHECK: moec.moe_gemm {{.*}} a_scale(%{{.*}} : memref<1xf32>) b_scale(%{{.*}} : memref<8xf32>) {config = #moec.config<block_k = 64>, top_k = 2 : i64} : memref<?x4096xf8E5M2FNUZ>, memref<8x1024x4096xf8E5M2FNUZ> -> memref<?x2x1024xbf16>
// CHECK: moec.moe_gemm {{.*}} topk_weights(%{{.*}} : memref<?x2xf32>) a_scale(%{{.*}} : memref<?xf32>) b_scale(%{{.*}} : memref<8x1024xf32>) {config = #moec.config<block_k = 64>, top_k = 2 : i64} : memref<?x4096xf8E4M3FN>, memref<8x1024x4096xf8E4M3FN> -> memref<?x2x1024xbf16>
// CHECK: moec.moe_gemm {{.*}} a_scale(%{{.*}} : memref<?x1xf32>) b_scale(%{{.*}} : memref<8x1024xf32>) {config = #moec.config<block_k = 64>, top_k = 2 : i64} : memref<?x4096xf8E5M2>, memref<8x1024x4096xf8E5M2> -> memref<?x2x1024xf16>
// GENERIC-LABEL: sym_name = "moe_gemm_fp8_w8a8"
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0, 1, 1>
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0, 1, 1>
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1>
func.func @moe_gemm_fp8_w8a8(%a_e4fnuz: memref<?x4096xf8E4M3FNUZ>, %w_e4fnuz: memref<8x1024x4096xf8E4M3FNUZ>,
                             %a_e5fnuz: memref<?x4096xf8E5M2FNUZ>, %w_e5fnuz: memref<8x1024x4096xf8E5M2FNUZ>,
                             %a_e4: memref<?x4096xf8E4M3FN>, %w_e4: memref<8x1024x4096xf8E4M3FN>,
                             %a_e5: memref<?x4096xf8E5M2>, %w_e5: memref<8x1024x4096xf8E5M2>,
                             %c: memref<?x2x1024xbf16>, %c16: memref<?x2x1024xf16>,
                             %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>,
                             %tw: memref<?x2xf32>, %s0: memref<f32>, %s1: memref<1xf32>,
                             %s_tok: memref<?xf32>, %s_tok2: memref<?x1xf32>,
                             %s_exp: memref<8xf32>, %s_chan: memref<8x1024xf32>) {
  moec.moe_gemm %a_e4fnuz, %w_e4fnuz -> %c routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    a_scale(%s0 : memref<f32>) b_scale(%s_exp : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<block_k = 64>}
    : memref<?x4096xf8E4M3FNUZ>, memref<8x1024x4096xf8E4M3FNUZ> -> memref<?x2x1024xbf16>
  moec.moe_gemm %a_e5fnuz, %w_e5fnuz -> %c routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    a_scale(%s1 : memref<1xf32>) b_scale(%s_exp : memref<8xf32>) {top_k = 2 : i64, config = #moec.config<block_k = 64>}
    : memref<?x4096xf8E5M2FNUZ>, memref<8x1024x4096xf8E5M2FNUZ> -> memref<?x2x1024xbf16>
  moec.moe_gemm %a_e4, %w_e4 -> %c routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    topk_weights(%tw : memref<?x2xf32>) a_scale(%s_tok : memref<?xf32>) b_scale(%s_chan : memref<8x1024xf32>)
    {top_k = 2 : i64, config = #moec.config<block_k = 64>}
    : memref<?x4096xf8E4M3FN>, memref<8x1024x4096xf8E4M3FN> -> memref<?x2x1024xbf16>
  moec.moe_gemm %a_e5, %w_e5 -> %c16 routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    a_scale(%s_tok2 : memref<?x1xf32>) b_scale(%s_chan : memref<8x1024xf32>)
    {top_k = 2 : i64, config = #moec.config<block_k = 64>}
    : memref<?x4096xf8E5M2>, memref<8x1024x4096xf8E5M2> -> memref<?x2x1024xf16>
  return
}

// fp8_w8a8 block-wise (DeepSeek's [128, 128] block_shape): a_scale
// [M, ceil(K / group_k)], b_scale [E, ceil(N / group_n), ceil(K / group_k)].
// CHECK-LABEL: func @moe_gemm_fp8_blockwise
// CHECK: moec.moe_gemm {{.*}} a_scale(%{{.*}} : memref<?x56xf32>) b_scale(%{{.*}} : memref<256x4x56xf32>) {config = #moec.config<block_k = 128>, group_k = 128 : i64, group_n = 128 : i64, top_k = 8 : i64} : memref<?x7168xf8E4M3FNUZ>, memref<256x512x7168xf8E4M3FNUZ> -> memref<?x8x512xbf16>
// CHECK: moec.moe_gemm {{.*}} topk_weights(%{{.*}} : memref<?x8xf32>) a_scale(%{{.*}} : memref<?x4xf32>) b_scale(%{{.*}} : memref<256x56x4xf32>) {a_per_copy, config = #moec.config<block_k = 64>, group_k = 128 : i64, group_n = 128 : i64, reduce, top_k = 8 : i64} : memref<?x512xf8E4M3FN>, memref<256x7168x512xf8E4M3FN> -> memref<?x7168xbf16>
// GENERIC-LABEL: sym_name = "moe_gemm_fp8_blockwise"
// GENERIC: group_k = 128 : i64, group_n = 128 : i64
func.func @moe_gemm_fp8_blockwise(%a: memref<?x7168xf8E4M3FNUZ>, %w: memref<256x512x7168xf8E4M3FNUZ>,
                                  %c: memref<?x8x512xbf16>, %sorted: memref<?xi32>,
                                  %experts: memref<?xi32>, %npad: memref<1xi32>,
                                  %as: memref<?x56xf32>, %bs: memref<256x4x56xf32>,
                                  %a2: memref<?x512xf8E4M3FN>, %w2: memref<256x7168x512xf8E4M3FN>,
                                  %c2: memref<?x7168xbf16>, %tw: memref<?x8xf32>,
                                  %as2: memref<?x4xf32>, %bs2: memref<256x56x4xf32>) {
  moec.moe_gemm %a, %w -> %c routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    a_scale(%as : memref<?x56xf32>) b_scale(%bs : memref<256x4x56xf32>)
    {top_k = 8 : i64, group_n = 128 : i64, group_k = 128 : i64, config = #moec.config<block_k = 128>}
    : memref<?x7168xf8E4M3FNUZ>, memref<256x512x7168xf8E4M3FNUZ> -> memref<?x8x512xbf16>
  moec.moe_gemm %a2, %w2 -> %c2 routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    topk_weights(%tw : memref<?x8xf32>) a_scale(%as2 : memref<?x4xf32>) b_scale(%bs2 : memref<256x56x4xf32>)
    {top_k = 8 : i64, group_n = 128 : i64, group_k = 128 : i64, a_per_copy, reduce,
     config = #moec.config<block_k = 64>}
    : memref<?x512xf8E4M3FN>, memref<256x7168x512xf8E4M3FN> -> memref<?x7168xbf16>
  return
}

// int8_w8a16: f16/bf16 activations, i8 weights, per-channel b_scale [E, N].
// CHECK-LABEL: func @moe_gemm_int8_w8a16
// CHECK: moec.moe_gemm {{.*}} b_scale(%{{.*}} : memref<8x1024xf32>) {config = #moec.config<>, top_k = 2 : i64} : memref<?x4096xbf16>, memref<8x1024x4096xi8> -> memref<?x2x1024xbf16>
// CHECK: moec.moe_gemm {{.*}} topk_weights(%{{.*}} : memref<?x2xf16>) b_scale(%{{.*}} : memref<8x1024xf32>) {config = #moec.config<>, reduce, top_k = 2 : i64} : memref<?x4096xf16>, memref<8x1024x4096xi8> -> memref<?x1024xf16>
// GENERIC-LABEL: sym_name = "moe_gemm_int8_w8a16"
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0, 0, 1>
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 0, 1>
func.func @moe_gemm_int8_w8a16(%a: memref<?x4096xbf16>, %a16: memref<?x4096xf16>,
                               %w: memref<8x1024x4096xi8>, %c: memref<?x2x1024xbf16>,
                               %c16: memref<?x1024xf16>, %sorted: memref<?xi32>,
                               %experts: memref<?xi32>, %npad: memref<1xi32>,
                               %tw: memref<?x2xf16>, %bs: memref<8x1024xf32>) {
  moec.moe_gemm %a, %w -> %c routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    b_scale(%bs : memref<8x1024xf32>) {top_k = 2 : i64, config = #moec.config<>}
    : memref<?x4096xbf16>, memref<8x1024x4096xi8> -> memref<?x2x1024xbf16>
  moec.moe_gemm %a16, %w -> %c16 routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    topk_weights(%tw : memref<?x2xf16>) b_scale(%bs : memref<8x1024xf32>)
    {top_k = 2 : i64, reduce, config = #moec.config<>}
    : memref<?x4096xf16>, memref<8x1024x4096xi8> -> memref<?x1024xf16>
  return
}

//===----------------------------------------------------------------------===//
// moec.act_and_mul
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @act_and_mul
// CHECK: moec.act_and_mul %{{.*}} -> %{{.*}} {activation = #moec.activation<silu>, config = #moec.config<>} : memref<?x2x28672xbf16> -> memref<?x2x14336xbf16>
// CHECK: moec.act_and_mul %{{.*}} -> %{{.*}} {activation = #moec.activation<gelu>, config = #moec.config<num_warps = 8>} : memref<?x?xf16> -> memref<?x?xf32>
// GENERIC-LABEL: sym_name = "act_and_mul"
// GENERIC: "moec.act_and_mul"(%{{.*}}, %{{.*}}) <{activation = #moec.activation<silu>, config = #moec.config<>}> : (memref<?x2x28672xbf16>, memref<?x2x14336xbf16>) -> ()
func.func @act_and_mul(%x: memref<?x2x28672xbf16>, %y: memref<?x2x14336xbf16>,
                       %x2: memref<?x?xf16>, %y2: memref<?x?xf32>) {
  moec.act_and_mul %x -> %y {activation = #moec.activation<silu>, config = #moec.config<>}
    : memref<?x2x28672xbf16> -> memref<?x2x14336xbf16>
  moec.act_and_mul %x2 -> %y2 {activation = #moec.activation<gelu>, config = #moec.config<num_warps = 8>}
    : memref<?x?xf16> -> memref<?x?xf32>
  return
}

//===----------------------------------------------------------------------===//
// moec.quant_fp8
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @quant_fp8
// CHECK: moec.quant_fp8 %{{.*}} -> %{{.*}}, %{{.*}} {config = #moec.config<>} : memref<?x4096xbf16> -> memref<?x4096xf8E4M3FN>, memref<?xf32>
// CHECK: moec.quant_fp8 %{{.*}} -> %{{.*}}, %{{.*}} {config = #moec.config<>, group_k = 128 : i64} : memref<?x7168xbf16> -> memref<?x7168xf8E4M3FNUZ>, memref<?x56xf32>
// CHECK: moec.quant_fp8 %{{.*}} -> %{{.*}}, %{{.*}} {config = #moec.config<>, static_scale} : memref<?x?xf16> -> memref<?x?xf8E4M3FN>, memref<f32>
// GENERIC-LABEL: sym_name = "quant_fp8"
// GENERIC: "moec.quant_fp8"(%{{.*}}, %{{.*}}, %{{.*}}) <{config = #moec.config<>, group_k = 128 : i64}> : (memref<?x7168xbf16>, memref<?x7168xf8E4M3FNUZ>, memref<?x56xf32>) -> ()
func.func @quant_fp8(%x: memref<?x4096xbf16>, %q: memref<?x4096xf8E4M3FN>, %s: memref<?xf32>,
                     %x2: memref<?x7168xbf16>, %q2: memref<?x7168xf8E4M3FNUZ>, %s2: memref<?x56xf32>,
                     %x3: memref<?x?xf16>, %q3: memref<?x?xf8E4M3FN>, %s3: memref<f32>) {
  moec.quant_fp8 %x -> %q, %s {config = #moec.config<>}
    : memref<?x4096xbf16> -> memref<?x4096xf8E4M3FN>, memref<?xf32>
  moec.quant_fp8 %x2 -> %q2, %s2 {group_k = 128 : i64, config = #moec.config<>}
    : memref<?x7168xbf16> -> memref<?x7168xf8E4M3FNUZ>, memref<?x56xf32>
  moec.quant_fp8 %x3 -> %q3, %s3 {static_scale, config = #moec.config<>}
    : memref<?x?xf16> -> memref<?x?xf8E4M3FN>, memref<f32>
  return
}

//===----------------------------------------------------------------------===//
// moec.sparse_window_indices
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @sparse_window_indices
// CHECK: moec.sparse_window_indices %{{.*}}, %{{.*}} -> %{{.*}} {config = #moec.config<>, page_size = 64 : i64} : memref<?xi32>, memref<?x?xi32> -> memref<?x2048xi32>
// GENERIC-LABEL: sym_name = "sparse_window_indices"
// GENERIC: "moec.sparse_window_indices"(%{{.*}}, %{{.*}}, %{{.*}}) <{config = #moec.config<>, page_size = 64 : i64}> : (memref<?xi32>, memref<?x?xi32>, memref<?x2048xi32>) -> ()
func.func @sparse_window_indices(%lens: memref<?xi32>, %bt: memref<?x?xi32>,
                                 %idx: memref<?x2048xi32>) {
  moec.sparse_window_indices %lens, %bt -> %idx {page_size = 64 : i64, config = #moec.config<>}
    : memref<?xi32>, memref<?x?xi32> -> memref<?x2048xi32>
  return
}

//===----------------------------------------------------------------------===//
// moec.sparse_attention
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func @sparse_attention
// CHECK: moec.sparse_attention %{{.*}}, %{{.*}}, %{{.*}} -> %{{.*}} {config = #moec.config<>, scale = 4.170000e-02 : f32} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
// CHECK: moec.sparse_attention %{{.*}}, %{{.*}}, %{{.*}} -> %{{.*}} lse(%{{.*}} : memref<?x128xf32>) {config = #moec.config<epilogue = lds, block_h = 32, block_kv = 64>, scale = 0.0721687824 : f32} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xf32>
// CHECK: moec.sparse_attention {{.*}} : memref<4x16x64xf16>, memref<10x16x64xf16>, memref<4x128xi32> -> memref<4x16x64xf16>
// GENERIC-LABEL: sym_name = "sparse_attention"
// GENERIC: "moec.sparse_attention"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{config = #moec.config<>, kv_format = #moec.kv_format<plain>, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0>, scale = 4.170000e-02 : f32}>
// GENERIC: "moec.sparse_attention"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{config
func.func @sparse_attention(%q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>,
                            %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>,
                            %out32: memref<?x128x512xf32>, %lse: memref<?x128xf32>,
                            %qs: memref<4x16x64xf16>, %kvs: memref<10x16x64xf16>,
                            %idxs: memref<4x128xi32>, %outs: memref<4x16x64xf16>) {
  moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.0417 : f32, config = #moec.config<>}
    : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  moec.sparse_attention %q, %kv, %idx -> %out32 lse(%lse : memref<?x128xf32>)
    {scale = 0.0721687836 : f32, config = #moec.config<block_h = 32, block_kv = 64, epilogue = lds>}
    : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xf32>
  moec.sparse_attention %qs, %kvs, %idxs -> %outs {scale = 1.250000e-01 : f32, config = #moec.config<>}
    : memref<4x16x64xf16>, memref<10x16x64xf16>, memref<4x128xi32> -> memref<4x16x64xf16>
  return
}

// The fp8_ds_mla KV cache: 656-byte rows as i8; the attribute round-trips
// (the default, plain, is not printed).
// CHECK-LABEL: func @sparse_attention_fp8
// CHECK: moec.sparse_attention %{{.*}}, %{{.*}}, %{{.*}} -> %{{.*}} {config = #moec.config<>, kv_format = #moec.kv_format<fp8_ds_mla>, scale = 4.170000e-02 : f32} : memref<?x128x576xbf16>, memref<?x64x656xi8>, memref<?x2048xi32> -> memref<?x128x512xbf16>
// GENERIC-LABEL: sym_name = "sparse_attention_fp8"
// GENERIC: "moec.sparse_attention"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{config = #moec.config<>, kv_format = #moec.kv_format<fp8_ds_mla>, operandSegmentSizes
func.func @sparse_attention_fp8(%q: memref<?x128x576xbf16>, %kv: memref<?x64x656xi8>,
                                %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
  moec.sparse_attention %q, %kv, %idx -> %out
    {scale = 0.0417 : f32, kv_format = #moec.kv_format<fp8_ds_mla>, config = #moec.config<>}
    : memref<?x128x576xbf16>, memref<?x64x656xi8>, memref<?x2048xi32> -> memref<?x128x512xbf16>
  return
}

//===----------------------------------------------------------------------===//
// #moec.target on a module
//===----------------------------------------------------------------------===//

// CHECK-LABEL: module @on_gfx942 attributes {moec.target = #moec.target<"gfx942">}
// CHECK: func @targeted_gemm
// GENERIC-LABEL: "builtin.module"() <{sym_name = "on_gfx942"}> ({
// GENERIC: }) {moec.target = #moec.target<"gfx942">} : () -> ()
module @on_gfx942 attributes {moec.target = #moec.target<"gfx942">} {
  func.func @targeted_gemm(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 128, block_k = 64>}
      : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

// Every known target name parses and prints back.
// CHECK-LABEL: module @on_gfx90a attributes {moec.target = #moec.target<"gfx90a">}
// CHECK-LABEL: module @on_gfx950 attributes {moec.target = #moec.target<"gfx950">}
// CHECK-LABEL: module @on_sm_80 attributes {moec.target = #moec.target<"sm_80">}
// CHECK-LABEL: module @on_sm_90 attributes {moec.target = #moec.target<"sm_90">}
// CHECK-LABEL: module @on_host attributes {moec.target = #moec.target<"host">}
module @on_gfx90a attributes {moec.target = #moec.target<"gfx90a">} {}
module @on_gfx950 attributes {moec.target = #moec.target<"gfx950">} {}
module @on_sm_80 attributes {moec.target = #moec.target<"sm_80">} {}
module @on_sm_90 attributes {moec.target = #moec.target<"sm_90">} {}
module @on_host attributes {moec.target = #moec.target<"host">} {}
