// moec.sparse_attention with DeepSeek-V3.2's fp8 KV cache (kv_format =
// fp8_ds_mla: 656-byte rows of 512 OCP e4m3fn codes, 4 f32 scales, 64 bf16
// rope). The gather reads each row's bytes through registers and dequantizes
// them to bf16 in software on the way into the same bf16 KV ring a bf16
// cache fills: code m = S.EEEE.MMM -> the f32 bits ((m & 0x7f) << 20) +
// (120 << 23) (0x3c000000), subnormals as M x 2^-9 (0x3b000000), S.1111.111
// NaN (0x7fc00000), times the group's scale, rounded to bf16.
//
// The lane level: i8 kv_cache argument; per latent slot 16 codes and the
// 4 bytes of their group's scale (byte 512 + 4 (c / 128) of the row), per
// rope slot 16 bytes bitcast to 8 bf16; two 16-byte LDS stores per latent
// slot, one per rope slot.
// RUN: moec compile %s --arch gfx942 --emit mlir | moec-opt --moec-lower-to-kernels | FileCheck %s --check-prefix=LANES
//
// gfx942: its fp8 instructions (v_cvt_f32_fp8, v_cvt_pk_f32_fp8) decode
// fnuz (bias 8, 0x80 NaN), not the OCP codes DeepSeek ships: none is used.
// The ISA shows the software decode and the byte gathers (16-byte code and
// rope loads, 4-byte scale loads); LDS is the bf16 kernel's (the ring holds
// bf16 either way).
// RUN: moec compile %s --arch gfx942 --emit asm | FileCheck %s --check-prefix=GFX942 --implicit-check-not=v_cvt_f32_fp8 --implicit-check-not=v_cvt_pk_f32_fp8
// RUN: sed -e 's/ kv_format = #moec.kv_format<fp8_ds_mla>,//' -e 's/656xi8/576xbf16/g' %s > %t.bf16.mlir
// RUN: moec compile %t.bf16.mlir --arch gfx942 --emit asm | FileCheck %s --check-prefix=BF16 --implicit-check-not=0x3c000000
//
// sm_90 (OCP fp8 conversions from sm_89): cvt.rn.f16x2.e4m3x2 per pair of
// codes (MatrixCore::decodeE4M3), f16 -> f32, times the scale, packed to
// bf16 by cvt.rn.bf16x2.f32; no software decode (no 0x3c000000 =
// 1006632960); 16-byte and 4-byte global loads; and no cp.async even with
// --async-copy (a cp.async cannot convert: the fp8 plan turns async_copy
// off; the bf16 kernel of the same config uses it).
// RUN: moec compile %s --arch sm_90 --async-copy --num-stages 3 --emit ptx | FileCheck %s --check-prefix=SM90 --implicit-check-not=cp.async --implicit-check-not=1006632960
// RUN: moec compile %t.bf16.mlir --arch sm_90 --async-copy --num-stages 3 --emit ptx | FileCheck %s --check-prefix=SM90-BF16

func.func @mla_fp8(%q: memref<?x16x576xbf16>, %kv: memref<?x64x656xi8>,
                   %idx: memref<?x256xi32>, %out: memref<?x16x512xbf16>,
                   %lse: memref<?x16xf32>) {
  moec.sparse_attention %q, %kv, %idx -> %out lse(%lse : memref<?x16xf32>) {
    scale = 0.0721687836 : f32, kv_format = #moec.kv_format<fp8_ds_mla>,
    config = #moec.config<block_h = 16, block_kv = 32>
  } : memref<?x16x576xbf16>, memref<?x64x656xi8>, memref<?x256xi32>
      -> memref<?x16x512xbf16>
  return
}

// LANES-LABEL: gpu.func @mla_fp8_sparse_attention(
// LANES-SAME: memref<?x?x?xbf16, #gpu.address_space<global>>, %{{.*}}: memref<?x?x?xi8, #gpu.address_space<global>>
// LANES: vector.bitcast %{{.*}} : vector<4xi32> to vector<16xi8>
// LANES: rocdl.raw.ptr.buffer.load {{.*}} : i32
// LANES: vector.bitcast %{{.*}} : vector<1xi32> to vector<4xi8>
// LANES: arith.extui %{{.*}} : vector<16xi8> to vector<16xi32>
// LANES: arith.constant dense<1006632960> : vector<16xi32>
// LANES: arith.uitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// LANES: arith.constant dense<0x7FC00000> : vector<16xf32>
// LANES: vector.bitcast %{{.*}} : vector<4xi8> to vector<1xf32>
// LANES: arith.truncf %{{.*}} : vector<16xf32> to vector<16xbf16>
// LANES: vector.extract_strided_slice
// LANES: vector.store %{{.*}} : memref<1x32x576xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// LANES: vector.extract_strided_slice
// LANES: vector.store %{{.*}} : memref<1x32x576xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// LANES: vector.bitcast %{{.*}} : vector<16xi8> to vector<8xbf16>
// LANES-NEXT: arith.constant
// LANES: vector.store %{{.*}} : memref<1x32x576xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>

// GFX942-LABEL: mla_fp8_sparse_attention:
// GFX942-DAG: buffer_load_dwordx4
// GFX942-DAG: buffer_load_dword v
// GFX942-DAG: v_add_u32_e32 v{{[0-9]+}}, 0x3c000000
// GFX942-DAG: v_cvt_f32_ubyte0
// GFX942-DAG: 0x3b000000
// GFX942-DAG: 0x7fc00000
// GFX942: .amdhsa_kernel mla_fp8_sparse_attention
// GFX942: .group_segment_fixed_size: 58688

// BF16: .amdhsa_kernel mla_fp8_sparse_attention
// BF16: .group_segment_fixed_size: 58688

// SM90: .entry mla_fp8_sparse_attention(
// SM90-DAG: ld.global.v4.b32
// SM90-DAG: ld.global.b32 {{.*}}+512]
// SM90-DAG: cvt.rn.f16x2.e4m3x2
// SM90-DAG: cvt.f32.f16
// SM90-DAG: cvt.rn.bf16x2.f32

// SM90-BF16: cp.async.cg.shared.global
