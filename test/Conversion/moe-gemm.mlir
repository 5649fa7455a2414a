// moec.moe_gemm lowers through the GEMM skeleton (GemmKernelBuilder.cpp)
// with a row map: the block's sorted ids staged in LDS, A's rows gathered
// through them, B = W[expert_ids[block]], C's rows scattered (or, with
// `reduce`, atomically added into the token's row). Every config knob
// changes the moe_gemm kernel as it changes a gemm's.
//
// The lane level: the early exit, the expert's slice, the row map, the
// gathered loads.
// RUN: moec compile %s --arch gfx942 --emit mlir | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefix=LANE
//
// The launch: ceil(len(sorted_token_ids) / block_m) x ceil(N / block_n)
// workgroups of num_warps x 64 lanes; the kernel takes the op's operands.
// RUN: moec compile %s --arch gfx942 --emit mlir | moec-opt --moec-lower-to-kernels | FileCheck %s --check-prefix=LAUNCH
// RUN: moec compile %s --arch gfx942 --block-m 32 --block-n 64 --num-warps 8 --emit mlir | moec-opt --moec-lower-to-kernels | FileCheck %s --check-prefix=LAUNCH-B32
//
// ISA: the gather (buffer loads at offsets from the row map read from LDS),
// the early s_endpgm, the MFMA family, kpack's LDS read width.
// RUN: moec compile %s --arch gfx942 --emit asm | FileCheck %s --check-prefix=ASM
// RUN: moec compile %s --arch gfx942 --matrix-instr-nonkdim 32 --emit asm | FileCheck %s --check-prefix=NK32
// RUN: moec compile %s --arch gfx942 --kpack 1 --emit asm | FileCheck %s --check-prefix=KPACK1
// RUN: moec compile %s --arch gfx90a --emit asm | FileCheck %s --check-prefix=GFX90A
// RUN: moec compile %s --arch gfx950 --kpack 1 --emit asm | FileCheck %s --check-prefix=GFX950
//
// Stages, waves_per_eu and num_warps in the code object (LDS = the K
// loop's buffers + the row map, block_m x 12 bytes; the epilogue = lds
// stores 16-byte row vectors instead of single elements).
// RUN: moec compile %s --arch gfx942 --num-stages 1 --emit hsaco -o %t.s1 && moec inspect %t.s1 | FileCheck %s --check-prefix=STAGES1
// RUN: moec compile %s --arch gfx942 --num-stages 3 --emit hsaco -o %t.s3 && moec inspect %t.s3 | FileCheck %s --check-prefix=STAGES3
// RUN: moec compile %s --arch gfx942 --epilogue lds --emit asm | FileCheck %s --check-prefix=EPI-LDS
// RUN: moec compile %s --arch gfx942 --waves-per-eu 2 --emit llvm | FileCheck %s --check-prefix=WPE
// RUN: moec compile %s --arch gfx942 --num-warps 8 --emit hsaco -o %t.w8 && moec inspect %t.w8 | FileCheck %s --check-prefix=WARPS8
//
// NVIDIA and the host compile the same op.
// RUN: moec compile %s --arch sm_90 --emit ptx | FileCheck %s --check-prefix=SM90
// RUN: moec compile %s --arch sm_90 --async-copy --emit ptx | FileCheck %s --check-prefix=SM90-ASYNC
// RUN: moec compile %s --arch sm_80 --emit ptx -o /dev/null
// RUN: moec compile %s --arch host --emit obj -o /dev/null

// Mixtral-like up projection: bf16, top_k 2, C [tokens, top_k, N].
func.func @up(%a: memref<?x4096xbf16>, %w: memref<8x1024x4096xbf16>,
              %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>,
              %c: memref<?x2x1024xbf16>) {
  moec.moe_gemm %a, %w -> %c
    routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>) {
    top_k = 2 : i64,
    config = #moec.config<block_m = 64, block_n = 64, block_k = 64, num_warps = 4, kpack = 2>
  } : memref<?x4096xbf16>, memref<8x1024x4096xbf16> -> memref<?x2x1024xbf16>
  return
}

// The down projection: one A row per routed copy, weighted, summed into
// the token's row.
func.func @down_bf16(%a: memref<?x1024xbf16>, %w: memref<8x4096x1024xbf16>,
                     %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>,
                     %tw: memref<?x2xf32>, %c: memref<?x4096xbf16>) {
  moec.moe_gemm %a, %w -> %c
    routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>)
    topk_weights(%tw : memref<?x2xf32>) {
    top_k = 2 : i64, a_per_copy, reduce,
    config = #moec.config<block_m = 64, block_n = 64, block_k = 64, num_warps = 4, kpack = 2>
  } : memref<?x1024xbf16>, memref<8x4096x1024xbf16> -> memref<?x4096xbf16>
  return
}

func.func @down_f16(%a: memref<?x1024xf16>, %w: memref<8x4096x1024xf16>,
                    %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>,
                    %c: memref<?x4096xf16>) {
  moec.moe_gemm %a, %w -> %c
    routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>) {
    top_k = 2 : i64, a_per_copy, reduce,
    config = #moec.config<block_m = 64, block_n = 64, block_k = 64, num_warps = 4, kpack = 2>
  } : memref<?x1024xf16>, memref<8x4096x1024xf16> -> memref<?x4096xf16>
  return
}

func.func @down_f32(%a: memref<?x1024xbf16>, %w: memref<8x4096x1024xbf16>,
                    %sorted: memref<?xi32>, %experts: memref<?xi32>, %npad: memref<1xi32>,
                    %c: memref<?x4096xf32>) {
  moec.moe_gemm %a, %w -> %c
    routing(%sorted, %experts, %npad : memref<?xi32>, memref<?xi32>, memref<1xi32>) {
    top_k = 2 : i64, a_per_copy, reduce,
    config = #moec.config<block_m = 64, block_n = 64, block_k = 64, num_warps = 4, kpack = 2>
  } : memref<?x1024xbf16>, memref<8x4096x1024xbf16> -> memref<?x4096xf32>
  return
}

// LANE-LABEL: gpu.func @up_moe_gemm(
// The block's expert, read only for a block below num_tokens_post_padded;
// nothing runs unless it is one of W's.
// LANE:      memref.load %arg5[%c0]
// LANE:      %[[E32:.*]] = scf.if %{{.*}} -> (i32) {
// LANE-NEXT:   memref.load %arg4[
// LANE:      %[[E:.*]] = arith.index_cast %[[E32]] : i32 to index
// LANE:      %[[GO:.*]] = arith.andi
// LANE-NEXT: scf.if %[[GO]] {
// B is W[e]: W's offset moves by e x W's outer stride.
// LANE:      %{{.*}}, %{{.*}}, %[[WS:.*]]:3, %[[WT:.*]]:3 = memref.extract_strided_metadata %arg1
// LANE-NEXT: %[[EOFF:.*]] = arith.muli %[[E]], %[[WT]]#0 : index
// LANE-NEXT: memref.reinterpret_cast %arg1 to offset: [%[[EOFF]]], sizes: [%[[WS]]#1, %[[WS]]#2], strides: [%[[WT]]#1, 1]
// The row map after the K loop's 2 x 8192 bytes: A rows, C rows (-1 for
// padding), then the weights; each lane fills rows tid, tid + 256, ...
// LANE:      %[[MAP:.*]] = memref.view %arg6[%c16384][] : memref<17152xi8, #gpu.address_space<workgroup>> to memref<2x64xi32, #gpu.address_space<workgroup>>
// LANE:      scf.for %{{.*}} = %thread_id_x to %c64 step %c256 {
// LANE:        %[[S:.*]] = memref.load %arg3[
// LANE:        %[[SI:.*]] = arith.index_cast %[[S]] : i32 to index
// LANE:        arith.cmpi ult, %[[SI]],
// LANE:        %[[TOK:.*]] = arith.divui %[[SI]], %c2 : index
// LANE:        memref.store %{{.*}}, %[[MAP]][%c0,
// LANE:        memref.store %{{.*}}, %[[MAP]][%c1,
// LANE:      gpu.barrier
// The gather: each lane reads the A row of its load slot once, and the
// buffer load's offset is that row times K (padding rows: out of range).
// LANE:      %[[R:.*]] = memref.load %[[MAP]][%c0, %{{.*}}] : memref<2x64xi32
// LANE-NEXT: %[[RI:.*]] = arith.index_cast %[[R]] : i32 to index
// LANE-NEXT: %[[OK:.*]] = arith.cmpi sge, %[[RI]], %c0 : index
// LANE-NEXT: %[[ROW:.*]] = arith.maxsi %[[RI]], %c0 : index
// LANE:      %[[AW:.*]] = rocdl.make.buffer.rsrc
// LANE:      %[[RK:.*]] = arith.muli %[[ROW]], %{{.*}} : index
// LANE-NEXT: %[[OFF:.*]] = arith.addi %[[RK]], %{{.*}} : index
// LANE-NEXT: %[[KIN:.*]] = arith.cmpi slt
// LANE-NEXT: %[[V:.*]] = arith.andi %[[OK]], %[[KIN]] : i1
// LANE-NEXT: %[[B:.*]] = arith.muli %[[OFF]], %c2 : index
// LANE-NEXT: %[[B32:.*]] = arith.index_cast %[[B]] : index to i32
// LANE-NEXT: %[[SEL:.*]] = arith.select %[[V]], %[[B32]], %c-2147483648_i32 : i32
// LANE-NEXT: rocdl.raw.ptr.buffer.load %[[AW]], %[[SEL]]
// LANE:      scf.for
// LANE:        amdgpu.mfma
// The epilogue scatters through the map's C rows.
// LANE:      memref.load %[[MAP]][%c1,
// LANE:      rocdl.raw.ptr.buffer.store
// LANE:      gpu.return

// LAUNCH-LABEL: func.func @up(
// LAUNCH:      %[[S:.*]] = memref.dim %arg2, %{{.*}} : memref<?xi32>
// LAUNCH:      %[[N:.*]] = memref.dim %arg1, %{{.*}} : memref<8x1024x4096xbf16>
// LAUNCH-NEXT: %[[BM:.*]] = arith.constant 64 : index
// LAUNCH-NEXT: %[[TM:.*]] = arith.ceildivui %[[S]], %[[BM]] : index
// LAUNCH-NEXT: %[[BN:.*]] = arith.constant 64 : index
// LAUNCH-NEXT: %[[TN:.*]] = arith.ceildivui %[[N]], %[[BN]] : index
// LAUNCH-NEXT: %[[G:.*]] = arith.muli %[[TM]], %[[TN]] : index
// LAUNCH:      %[[L:.*]] = arith.constant 256 : index
// LAUNCH-NEXT: gpu.launch_func @moec_kernels::@up_moe_gemm blocks in (%[[G]], %{{.*}}, %{{.*}}) threads in (%[[L]], %{{.*}}, %{{.*}}) args(%{{.*}} : memref<?x?xbf16, #gpu.address_space<global>>, %{{.*}} : memref<?x?x?xbf16, #gpu.address_space<global>>, %{{.*}} : memref<?x?x?xbf16, #gpu.address_space<global>>, %{{.*}} : memref<?xi32, #gpu.address_space<global>>, %{{.*}} : memref<?xi32, #gpu.address_space<global>>, %{{.*}} : memref<?xi32, #gpu.address_space<global>>)
// LAUNCH-LABEL: func.func @down_bf16(
// LAUNCH:      gpu.launch_func @moec_kernels::@down_bf16_moe_gemm {{.*}} args(%{{.*}} : memref<?x?xbf16, {{.*}}>, %{{.*}} : memref<?x?x?xbf16, {{.*}}>, %{{.*}} : memref<?x?xbf16, {{.*}}>, %{{.*}} : memref<?xi32, {{.*}}>, %{{.*}} : memref<?xi32, {{.*}}>, %{{.*}} : memref<?xi32, {{.*}}>, %{{.*}} : memref<?x?xf32, {{.*}}>)

// LAUNCH-B32-LABEL: func.func @up(
// LAUNCH-B32:      arith.constant 32 : index
// LAUNCH-B32-NEXT: arith.ceildivui
// LAUNCH-B32-NEXT: arith.constant 64 : index
// LAUNCH-B32-NEXT: arith.ceildivui
// LAUNCH-B32:      arith.constant 512 : index
// LAUNCH-B32-NEXT: gpu.launch_func @moec_kernels::@up_moe_gemm

// ASM-LABEL: {{^}}up_moe_gemm:
// The expert (negative: another rank's) sends the workgroup to its end.
// ASM:       v_cmp_lt_i64_e64 {{.*}}, 0{{$}}
// ASM:       s_cbranch_vccnz [[EXIT:\.LBB0_[0-9]+]]
// ASM:       s_barrier
// ASM:       buffer_load_dwordx4 {{.*}} offen
// ASM:       v_mfma_f32_16x16x16_bf16
// ASM-NOT:   v_mfma_f32_32x32
// ASM:       buffer_store_short
// ASM-NOT:   buffer_store_dwordx4
// ASM:       [[EXIT]]:
// ASM-NEXT:  s_endpgm
// reduce: packed bf16 atomics through the global pointer on gfx942 (no
// buffer form), packed f16 and f32 buffer atomics; no plain stores.
// ASM-LABEL: {{^}}down_bf16_moe_gemm:
// ASM-NOT:   buffer_store
// ASM:       global_atomic_pk_add_bf16
// ASM-NOT:   buffer_store
// ASM-LABEL: {{^}}down_f16_moe_gemm:
// ASM-NOT:   buffer_store
// ASM:       buffer_atomic_pk_add_f16
// ASM-NOT:   buffer_store
// ASM-LABEL: {{^}}down_f32_moe_gemm:
// ASM-NOT:   buffer_store
// ASM:       buffer_atomic_add_f32
// ASM-NOT:   buffer_store
// ASM:       s_endpgm

// NK32-LABEL: {{^}}up_moe_gemm:
// NK32-COUNT-8: v_mfma_f32_32x32x8_bf16
// NK32-NOT:     v_mfma
// NK32:         s_endpgm

// kpack 2 reads 16 bytes of K per lane (ds_read_b128), kpack 1 8 bytes.
// KPACK1-LABEL: {{^}}up_moe_gemm:
// KPACK1:       ds_read2st64_b64
// KPACK1:       v_mfma_f32_16x16x16_bf16
// KPACK1:       s_endpgm

// GFX90A-LABEL: {{^}}up_moe_gemm:
// GFX90A:       v_mfma_f32_16x16x16bf16_1k
// GFX90A-LABEL: {{^}}down_bf16_moe_gemm:
// GFX90A:       global_atomic_cmpswap
// GFX90A-LABEL: {{^}}down_f16_moe_gemm:
// GFX90A:       buffer_atomic_pk_add_f16
// GFX90A-LABEL: {{^}}down_f32_moe_gemm:
// GFX90A:       buffer_atomic_add_f32

// GFX950-LABEL: {{^}}up_moe_gemm:
// GFX950:       v_mfma_f32_16x16x32_bf16
// GFX950-LABEL: {{^}}down_bf16_moe_gemm:
// GFX950:       buffer_atomic_pk_add_bf16
// GFX950-LABEL: {{^}}down_f16_moe_gemm:
// GFX950:       buffer_atomic_pk_add_f16
// GFX950-LABEL: {{^}}down_f32_moe_gemm:
// GFX950:       buffer_atomic_add_f32

// LDS: one buffer up to two stages (16384) + the row map (768); three
// stages keep two buffers (32768 + 768).
// STAGES1: up_moe_gemm 256x1x1 {{.*}} 17152
// STAGES3: up_moe_gemm 256x1x1 {{.*}} 33536
// WARPS8:  up_moe_gemm 512x1x1
// WPE:     "amdgpu-waves-per-eu"="2"

// EPI-LDS-LABEL: {{^}}up_moe_gemm:
// EPI-LDS:       v_mfma_f32_16x16x16_bf16
// EPI-LDS:       s_barrier
// EPI-LDS:       buffer_store_dwordx4
// EPI-LDS-NOT:   buffer_store_short
// EPI-LDS:       s_endpgm

// SM90-LABEL: .visible .entry up_moe_gemm
// SM90:       mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// SM90-LABEL: .visible .entry down_bf16_moe_gemm
// SM90:       atom.global.add.noftz.bf16
// SM90-LABEL: .visible .entry down_f16_moe_gemm
// SM90:       atom.global.add.noftz.f16
// SM90-LABEL: .visible .entry down_f32_moe_gemm
// SM90:       atom.global.add.f32
// SM90-ASYNC-LABEL: .visible .entry up_moe_gemm
// SM90-ASYNC:       cp.async.cg.shared.global
// SM90-ASYNC:       cp.async.wait

// A gated activation (activation = silu: act(gate) * up, C N/2 wide): the
// K loop is the plain one (the B tile's rows come from the gate and up
// halves), the epilogue always parks an f32 tile in LDS (64 x 128 x 4 =
// 32768 bytes, more than the K loop's 8192 + 16384; + the row map 768),
// reads each gate/up pair back, applies silu (exp2 -> v_exp_f32) and
// stores N/2 columns. The same op on sm_90 and the host.
// RUN: moec compile %S/Inputs/moe-gemm-gated.mlir --arch gfx942 --emit asm | FileCheck %s --check-prefix=GATED
// RUN: moec compile %S/Inputs/moe-gemm-gated.mlir --arch gfx942 --emit hsaco -o %t.gated && moec inspect %t.gated | FileCheck %s --check-prefix=GATED-LDS
// RUN: moec compile %S/Inputs/moe-gemm-gated.mlir --arch sm_90 --emit ptx | FileCheck %s --check-prefix=GATED-SM90
// RUN: moec compile %S/Inputs/moe-gemm-gated.mlir --arch host --emit obj -o /dev/null
// GATED-LABEL: {{^}}gate_up_moe_gemm:
// GATED:       v_mfma_f32_16x16x16_bf16
// GATED:       s_barrier
// GATED:       ds_write_b32
// GATED:       s_barrier
// GATED:       ds_read_b32
// GATED:       v_exp_f32
// GATED:       buffer_store_short
// GATED:       s_endpgm
// GATED-LDS:   gate_up_moe_gemm 256x1x1 {{.*}} 33536
// GATED-SM90-LABEL: .visible .entry gate_up_moe_gemm
// GATED-SM90:       mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// GATED-SM90:       bar.sync
// GATED-SM90:       ex2.approx
// GATED-SM90:       st.global.b16

// Block-wise fp8 scales (group_n = group_k = 128): each K tile's product
// goes to a fresh accumulator that is scaled by a_scale[row, g] x
// b_scale[e, col / 128, g] and added inside the K loop (the MFMAs start
// from zero each tile), and the epilogue multiplies no scale.
// RUN: moec compile %S/Inputs/moe-gemm-blockwise.mlir --arch gfx942 --emit mlir | moec-opt --moec-lower-to-kernels --canonicalize --cse | FileCheck %s --check-prefix=BLOCKWISE
// BLOCKWISE-LABEL: gpu.func @blockwise_moe_gemm(
// BLOCKWISE:       %[[ZERO:[a-z0-9_]+]] = arith.constant dense<0.000000e+00> : vector<4xf32>
// BLOCKWISE:       scf.for
// BLOCKWISE:         amdgpu.mfma 16x16x32 {{.*}} + %[[ZERO]] blgp
// BLOCKWISE:         %[[G:.*]] = arith.divui %{{.*}}, %c128 : index
// BLOCKWISE:         %[[NG:.*]] = arith.divui %{{.*}}, %c128 : index
// BLOCKWISE:         %[[SA:.*]] = memref.load %arg6[%{{.*}}, %[[G]]]
// BLOCKWISE:         %[[SB:.*]] = memref.load %arg7[%{{.*}}, %[[NG]], %[[G]]]
// BLOCKWISE:         arith.mulf %[[SA]], %[[SB]] : f32
// BLOCKWISE:         arith.addf %{{.*}} : vector<4xf32>
// BLOCKWISE:         scf.yield
// BLOCKWISE-NOT:   memref.load %arg6
// BLOCKWISE:       gpu.return

// fp8_w8a8 (fnuz on gfx942, OCP on gfx950) runs the fp8 MFMAs; int8_w8a16
// loads 8 i8 of W per lane (buffer_load_dwordx2), converts them to bf16 on
// their way to LDS and runs the bf16 MFMAs.
// RUN: sed s/FP8TYPE/f8E4M3FNUZ/g %S/Inputs/moe-gemm-quant.mlir > %t.942.mlir
// RUN: moec compile %t.942.mlir --arch gfx942 --emit asm | FileCheck %s --check-prefix=QUANT942
// RUN: sed s/FP8TYPE/f8E4M3FN/g %S/Inputs/moe-gemm-quant.mlir > %t.950.mlir
// RUN: moec compile %t.950.mlir --arch gfx950 --emit asm | FileCheck %s --check-prefix=QUANT950
// QUANT942-LABEL: {{^}}fp8_moe_gemm:
// QUANT942:       v_mfma_f32_16x16x32_fp8_fp8
// QUANT942-LABEL: {{^}}int8_moe_gemm:
// QUANT942:       buffer_load_dwordx2
// QUANT942:       v_cvt_f32_i32
// QUANT942:       v_mfma_f32_16x16x16_bf16
// QUANT950-LABEL: {{^}}fp8_moe_gemm:
// QUANT950:       v_mfma_f32_16x16x32_fp8_fp8
// QUANT950-LABEL: {{^}}int8_moe_gemm:
// QUANT950:       v_mfma_f32_16x16x32_bf16
