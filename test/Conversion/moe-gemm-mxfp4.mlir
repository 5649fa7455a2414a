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
