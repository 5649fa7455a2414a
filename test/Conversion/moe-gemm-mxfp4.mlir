// MXFP4 moe_gemm (`mxfp4`: W [E, N, K/2] packed e2m1 bytes, b_scale
// [E, N, K/32] f8E8M0FNU, bf16 A). W is dequantized in registers on its way
// to LDS: each lane loads 4 bytes (8 K elements, inside one 32-element
// block) and the block's e8m0 byte, splits the nibbles (element 2j low,
// 2j + 1 high), builds the f32 of each e2m1 code, multiplies by 2^(s - 127)
// and truncates to bf16; LDS and the matrix unit see bf16 and the epilogue
// applies no b_scale. The input is the gpt-oss-120b w13 shard of TP 8.
//
// The lane level on gfx942: the 4-byte buffer load of W, the scale read
// from the expert's [N, K/32] view, the nibble split, the e8m0 exponent,
// the bf16 conversion before the LDS store.
// RUN: moec compile %S/Inputs/moe-gemm-mxfp4.mlir --arch gfx942 --emit mlir | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefix=LANE
// LANE-LABEL: gpu.func @mxfp4_moe_gemm_moe_gemm(
// LANE-SAME:    %arg1: memref<?x?x?xi8, #gpu.address_space<global>>
// LANE-SAME:    %arg6: memref<?x?x?xf8E8M0FNU, #gpu.address_space<global>>
// The expert's slices: W[e] [N, K/2] bytes and its scales [N, K/32].
// LANE:         memref.reinterpret_cast %arg1 to offset: [%[[OFF:.*]]], sizes: {{.*}} : memref<?x?x?xi8, {{.*}}> to memref<?x?xi8,
// LANE:         %[[SCALES:.*]] = memref.reinterpret_cast %arg6 to offset: [%{{.*}}], sizes: {{.*}} : memref<?x?x?xf8E8M0FNU, {{.*}}> to memref<?x?xf8E8M0FNU
// LANE:         %[[RAW:.*]] = rocdl.raw.ptr.buffer.load %{{.*}}, %{{.*}}, %c0_i32, %c0_i32 : i32
// LANE:         %[[BYTES:.*]] = vector.bitcast %{{.*}} : vector<1xi32> to vector<4xi8>
// LANE:         %[[BLOCK:.*]] = arith.divui %{{.*}}, %c32 : index
// LANE:         %[[S:.*]] = memref.load %[[SCALES]][%{{.*}}, %{{.*}}] : memref<?x?xf8E8M0FNU
// LANE:         %[[B0:.*]] = vector.extract %[[BYTES]][0] : i8 from vector<4xi8>
// LANE:         %[[X0:.*]] = arith.extui %[[B0]] : i8 to i32
// LANE:         %[[LO:.*]] = arith.andi %[[X0]], %c15_i32 : i32
// LANE:         %[[HI:.*]] = arith.shrui %[[X0]], %c4_i32 : i32
// LANE:         vector.from_elements %[[LO]], %[[HI]], {{.*}} : vector<8xi32>
// LANE:         arith.bitcast %{{.*}} : vector<8xi32> to vector<8xf32>
// LANE:         %[[SB:.*]] = arith.bitcast %[[S]] : f8E8M0FNU to i8
// LANE:         %[[SE:.*]] = arith.extui %[[SB]] : i8 to i32
// LANE:         arith.shli %[[SE]], %c23_i32 : i32
// LANE:         %[[W:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<8xf32>
// LANE:         arith.truncf %[[W]] : vector<8xf32> to vector<8xbf16>
// LANE:         scf.for
// LANE:           amdgpu.mfma 16x16x16 {{.*}} : vector<4xbf16>, vector<4xbf16>, vector<4xf32>
// No b_scale in the epilogue: the only reads of the scales are the K loop's.
// LANE-NOT:     memref.load %arg6
// LANE:         gpu.return
//
// gfx942 ISA: dword buffer loads of W (4 bytes = 8 e2m1 values), byte loads
// of the scales, the bf16 MFMA.
// RUN: moec compile %S/Inputs/moe-gemm-mxfp4.mlir --arch gfx942 --emit asm | FileCheck %s --check-prefix=GFX942
// GFX942-LABEL: {{^}}mxfp4_moe_gemm_moe_gemm:
// GFX942-DAG:   buffer_load_dword v{{[0-9]+}},
// GFX942-DAG:   global_load_ubyte
// GFX942-DAG:   v_lshlrev_b32_e32 v{{[0-9]+}}, 23,
// GFX942:       v_mfma_f32_16x16x16_bf16
// GFX942:       s_endpgm
// GFX942-NOT:   v_mfma_scale
//
// gfx90a (MI200) takes the same path.
// RUN: moec compile %S/Inputs/moe-gemm-mxfp4.mlir --arch gfx90a --emit asm | FileCheck %s --check-prefix=GFX90A
// GFX90A-LABEL: {{^}}mxfp4_moe_gemm_moe_gemm:
// GFX90A:       v_mfma_f32_16x16x16bf16_1k
//
// gfx950 with block_k 64 (< the scaled MFMA's K of 128) dequantizes as
// gfx942 does and runs the bf16 MFMA.
// RUN: moec compile %S/Inputs/moe-gemm-mxfp4.mlir --arch gfx950 --emit asm | FileCheck %s --check-prefix=GFX950-DEQ
// GFX950-DEQ-LABEL: {{^}}mxfp4_moe_gemm_moe_gemm:
// GFX950-DEQ:       v_mfma_f32_16x16x32_bf16
// GFX950-DEQ-NOT:   v_mfma_scale
//
// gfx950 with block_k a multiple of 128 (nonkdim 16) or 64 (nonkdim 32):
// the scaled MFMA. W's e2m1 codes become e4m3 bytes on the way to LDS (no
// scale multiply), W's e8m0 bytes go to the MFMA's scale operand, and A
// (bf16) is split per 32 K into MXFP8 hi + lo: two scaled MFMAs per
// instruction tile.
// RUN: moec compile %S/Inputs/moe-gemm-mxfp4.mlir --arch gfx950 --block-k 128 --emit mlir | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefix=LANE950
// LANE950-LABEL: gpu.func @mxfp4_moe_gemm_moe_gemm(
// LANE950:       vector.bitcast %{{.*}} : vector<1xi32> to vector<4xi8>
// LANE950:       arith.bitcast %{{.*}} : vector<8xi8> to vector<8xf8E4M3FN>
// LANE950:       scf.for
// LANE950:         %[[SB:.*]] = memref.load %{{.*}} : memref<?x?xf8E8M0FNU
// LANE950:         vector.reduction <maxnumf>
// LANE950:         %[[HI:.*]] = amdgpu.scaled_mfma 16x16x128 (%[[SAHI:.*]][0] * %[[AHI:.*]]) * (%[[SB]][0] * %[[B:.*]]) + %{{.*}} : f8E8M0FNU, vector<32xf8E4M3FN>, f8E8M0FNU, vector<32xf8E4M3FN>, vector<4xf32>
// LANE950-NEXT:  amdgpu.scaled_mfma 16x16x128 (%{{.*}}[0] * %{{.*}}) * (%[[SB]][0] * %[[B]]) + %[[HI]]
// LANE950-NOT:   amdgpu.mfma
// LANE950:       gpu.return
// RUN: moec compile %S/Inputs/moe-gemm-mxfp4.mlir --arch gfx950 --block-k 128 --emit asm | FileCheck %s --check-prefix=GFX950
// RUN: moec compile %S/Inputs/moe-gemm-mxfp4.mlir --arch gfx950 --block-k 64 --matrix-instr-nonkdim 32 --block-m 32 --block-n 64 --num-warps 2 --emit asm | FileCheck %s --check-prefix=GFX950-32
// GFX950-LABEL: {{^}}mxfp4_moe_gemm_moe_gemm:
// GFX950:       v_mfma_scale_f32_16x16x128_f8f6f4
// GFX950-NOT:   v_mfma_f32_16x16x32_bf16
// GFX950-32-LABEL: {{^}}mxfp4_moe_gemm_moe_gemm:
// GFX950-32:       v_mfma_scale_f32_32x32x64_f8f6f4
//
// sm_90: the same dequantization in registers, then ldmatrix and the bf16
// mma.sync.
// RUN: moec compile %S/Inputs/moe-gemm-mxfp4.mlir --arch sm_90 --emit ptx -o - | FileCheck %s --check-prefix=PTX
// PTX-LABEL: .visible .entry mxfp4_moe_gemm_moe_gemm(
// PTX-DAG:   ld.global.b8
// PTX-DAG:   cvt.rn.bf16x2.f32
// PTX-DAG:   st.shared.v4.b32
// PTX-DAG:   ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-DAG:   mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
//
// The host compiles it as well (its numerics run in test/unit/MoeGemmTest.cpp).
// RUN: moec compile %S/Inputs/moe-gemm-mxfp4.mlir --arch host --emit llvm -o - | FileCheck %s --check-prefix=HOST
// HOST: define {{.*}}mxfp4_moe_gemm
