	.amdgcn_target "amdgcn-amd-amdhsa--gfx942"
	.amdhsa_code_object_version 6
	.text
	.globl	spill                           ; -- Begin function spill
	.p2align	8
	.type	spill,@function
spill:                                  ; @spill
; %bb.0:
	s_load_dwordx4 s[84:87], s[4:5], 0x0
	v_mov_b32_e32 v22, 0
	v_mov_b32_e32 v16, 0
	s_waitcnt lgkmcnt(0)
	s_load_dwordx16 s[0:15], s[86:87], 0x40
	s_load_dwordx16 s[16:31], s[84:85], 0x40
	s_load_dwordx16 s[52:67], s[86:87], 0xc0
	s_load_dwordx16 s[36:51], s[86:87], 0x80
	s_load_dwordx16 s[68:83], s[86:87], 0x0
	s_waitcnt lgkmcnt(0)
	v_mov_b64_e32 v[0:1], s[10:11]
	v_mov_b64_e32 v[2:3], s[8:9]
	v_pk_mul_f32 v[10:11], s[26:27], v[0:1]
	v_pk_mul_f32 v[8:9], s[24:25], v[2:3]
	v_mov_b64_e32 v[4:5], s[14:15]
	v_mov_b64_e32 v[6:7], s[12:13]
	v_pk_add_f32 v[0:1], v[8:9], s[24:25]
	v_pk_add_f32 v[2:3], v[10:11], s[26:27]
	v_pk_mul_f32 v[14:15], s[30:31], v[4:5]
	v_pk_mul_f32 v[12:13], s[28:29], v[6:7]
	scratch_store_dwordx4 off, v[8:11], off ; 16-byte Folded Spill
	v_pk_mul_f32 v[2:3], v[2:3], s[10:11]
	v_pk_mul_f32 v[0:1], v[0:1], s[8:9]
	v_mov_b32_e32 v10, 0
	global_store_dwordx4 v10, v[0:3], s[84:85] offset:96
	scratch_store_dwordx4 off, v[12:15], off offset:32 ; 16-byte Folded Spill
	s_nop 0
	v_pk_add_f32 v[0:1], v[12:13], s[28:29]
	v_pk_add_f32 v[2:3], v[14:15], s[30:31]
	v_pk_mul_f32 v[0:1], v[0:1], s[12:13]
	v_pk_mul_f32 v[2:3], v[2:3], s[14:15]
	global_store_dwordx4 v10, v[0:3], s[84:85] offset:112
	s_nop 1
	v_mov_b64_e32 v[0:1], s[2:3]
	v_pk_mul_f32 v[4:5], s[18:19], v[0:1]
	v_mov_b64_e32 v[0:1], s[0:1]
	v_pk_mul_f32 v[2:3], s[16:17], v[0:1]
	scratch_store_dwordx4 off, v[2:5], off offset:16 ; 16-byte Folded Spill
	v_pk_add_f32 v[0:1], v[4:5], s[18:19]
	s_nop 0
	v_pk_add_f32 v[4:5], v[2:3], s[16:17]
	v_pk_mul_f32 v[2:3], v[0:1], s[2:3]
	v_pk_mul_f32 v[0:1], v[4:5], s[0:1]
	global_store_dwordx4 v10, v[0:3], s[84:85] offset:64
	s_nop 1
	v_mov_b64_e32 v[0:1], s[6:7]
	v_pk_mul_f32 v[2:3], s[22:23], v[0:1]
	v_mov_b64_e32 v[0:1], s[4:5]
	v_pk_mul_f32 v[0:1], s[20:21], v[0:1]
	scratch_store_dwordx4 off, v[0:3], off offset:64 ; 16-byte Folded Spill
	s_nop 1
	v_pk_add_f32 v[0:1], v[0:1], s[20:21]
	v_pk_add_f32 v[2:3], v[2:3], s[22:23]
	v_pk_mul_f32 v[0:1], v[0:1], s[4:5]
	v_pk_mul_f32 v[2:3], v[2:3], s[6:7]
	s_load_dwordx16 s[0:15], s[84:85], 0x0
	s_waitcnt lgkmcnt(0)
	global_store_dwordx4 v10, v[0:3], s[84:85] offset:80
	s_nop 1
	v_mov_b64_e32 v[0:1], s[78:79]
	v_pk_mul_f32 v[2:3], s[10:11], v[0:1]
	v_mov_b64_e32 v[0:1], s[76:77]
	v_pk_mul_f32 v[0:1], s[8:9], v[0:1]
	scratch_store_dwordx4 off, v[0:3], off offset:48 ; 16-byte Folded Spill
	s_nop 1
	v_pk_add_f32 v[0:1], v[0:1], s[8:9]
	v_pk_add_f32 v[2:3], v[2:3], s[10:11]
	v_pk_mul_f32 v[0:1], v[0:1], s[76:77]
	v_pk_mul_f32 v[2:3], v[2:3], s[78:79]
	global_store_dwordx4 v10, v[0:3], s[84:85] offset:32
	s_nop 1
	v_mov_b64_e32 v[0:1], s[82:83]
	v_pk_mul_f32 v[6:7], s[14:15], v[0:1]
	v_mov_b64_e32 v[0:1], s[80:81]
	v_pk_mul_f32 v[4:5], s[12:13], v[0:1]
	v_pk_add_f32 v[2:3], v[6:7], s[14:15]
	v_pk_add_f32 v[0:1], v[4:5], s[12:13]
	v_pk_mul_f32 v[2:3], v[2:3], s[82:83]
	v_pk_mul_f32 v[0:1], v[0:1], s[80:81]
	v_accvgpr_write_b32 a23, v7
	global_store_dwordx4 v10, v[0:3], s[84:85] offset:48
	v_accvgpr_write_b32 a22, v6
	v_accvgpr_write_b32 a21, v5
	v_mov_b64_e32 v[0:1], s[70:71]
	v_accvgpr_write_b32 a20, v4
	v_pk_mul_f32 v[4:5], s[2:3], v[0:1]
	v_mov_b64_e32 v[0:1], s[68:69]
	v_pk_mul_f32 v[2:3], s[0:1], v[0:1]
	scratch_store_dwordx4 off, v[2:5], off offset:80 ; 16-byte Folded Spill
	v_pk_add_f32 v[0:1], v[4:5], s[2:3]
	s_nop 0
	v_pk_add_f32 v[4:5], v[2:3], s[0:1]
	v_pk_mul_f32 v[2:3], v[0:1], s[70:71]
	v_pk_mul_f32 v[0:1], v[4:5], s[68:69]
	v_mov_b32_e32 v4, 0
	global_store_dwordx4 v4, v[0:3], s[84:85]
	s_nop 1
	v_mov_b64_e32 v[0:1], s[74:75]
	v_pk_mul_f32 v[8:9], s[6:7], v[0:1]
	v_mov_b64_e32 v[0:1], s[72:73]
	v_pk_mul_f32 v[6:7], s[4:5], v[0:1]
	v_pk_add_f32 v[2:3], v[8:9], s[6:7]
	v_pk_add_f32 v[0:1], v[6:7], s[4:5]
	s_load_dwordx16 s[0:15], s[84:85], 0xc0
	v_pk_mul_f32 v[2:3], v[2:3], s[74:75]
	v_pk_mul_f32 v[0:1], v[0:1], s[72:73]
	v_accvgpr_write_b32 a19, v9
	s_waitcnt lgkmcnt(0)
	global_store_dwordx4 v4, v[0:3], s[84:85] offset:16
	v_accvgpr_write_b32 a18, v8
	v_accvgpr_write_b32 a17, v7
	v_mov_b64_e32 v[0:1], s[62:63]
	v_accvgpr_write_b32 a16, v6
	v_pk_mul_f32 v[6:7], s[10:11], v[0:1]
	v_mov_b64_e32 v[0:1], s[60:61]
	v_pk_mul_f32 v[4:5], s[8:9], v[0:1]
	v_pk_add_f32 v[2:3], v[6:7], s[10:11]
	v_pk_add_f32 v[0:1], v[4:5], s[8:9]
	v_accvgpr_write_b32 a15, v7
	v_accvgpr_write_b32 a14, v6
	v_accvgpr_write_b32 a13, v5
	v_accvgpr_write_b32 a12, v4
	v_pk_mul_f32 v[2:3], v[2:3], s[62:63]
	v_pk_mul_f32 v[0:1], v[0:1], s[60:61]
	v_mov_b32_e32 v4, 0
	global_store_dwordx4 v4, v[0:3], s[84:85] offset:224
	s_nop 1
	v_mov_b64_e32 v[0:1], s[66:67]
	v_pk_mul_f32 v[8:9], s[14:15], v[0:1]
	v_mov_b64_e32 v[0:1], s[64:65]
	v_pk_mul_f32 v[6:7], s[12:13], v[0:1]
	v_pk_add_f32 v[2:3], v[8:9], s[14:15]
	v_pk_add_f32 v[0:1], v[6:7], s[12:13]
	v_pk_mul_f32 v[2:3], v[2:3], s[66:67]
	v_pk_mul_f32 v[0:1], v[0:1], s[64:65]
	v_accvgpr_write_b32 a4, v6
	global_store_dwordx4 v4, v[0:3], s[84:85] offset:240
	v_accvgpr_write_b32 a5, v7
	v_accvgpr_write_b32 a6, v8
	v_mov_b64_e32 v[0:1], s[54:55]
	v_accvgpr_write_b32 a7, v9
	v_pk_mul_f32 v[8:9], s[2:3], v[0:1]
	v_mov_b64_e32 v[0:1], s[52:53]
	v_pk_mul_f32 v[6:7], s[0:1], v[0:1]
	v_pk_add_f32 v[0:1], v[8:9], s[2:3]
	v_pk_add_f32 v[4:5], v[6:7], s[0:1]
	v_pk_mul_f32 v[2:3], v[0:1], s[54:55]
	v_pk_mul_f32 v[0:1], v[4:5], s[52:53]
	v_mov_b32_e32 v4, 0
	global_store_dwordx4 v4, v[0:3], s[84:85] offset:192
	v_accvgpr_write_b32 a11, v9
	v_accvgpr_write_b32 a10, v8
	v_mov_b64_e32 v[0:1], s[58:59]
	v_pk_mul_f32 v[14:15], s[6:7], v[0:1]
	v_mov_b64_e32 v[0:1], s[56:57]
	v_pk_mul_f32 v[12:13], s[4:5], v[0:1]
	v_pk_add_f32 v[2:3], v[14:15], s[6:7]
	v_pk_add_f32 v[0:1], v[12:13], s[4:5]
	s_load_dwordx16 s[0:15], s[84:85], 0x80
	v_pk_mul_f32 v[2:3], v[2:3], s[58:59]
	v_pk_mul_f32 v[0:1], v[0:1], s[56:57]
	s_waitcnt lgkmcnt(0)
	global_store_dwordx4 v4, v[0:3], s[84:85] offset:208
	v_accvgpr_write_b32 a9, v7
	v_accvgpr_write_b32 a8, v6
	v_mov_b64_e32 v[0:1], s[46:47]
	v_pk_mul_f32 v[6:7], s[10:11], v[0:1]
	v_mov_b64_e32 v[0:1], s[44:45]
	v_pk_mul_f32 v[4:5], s[8:9], v[0:1]
	v_pk_add_f32 v[2:3], v[6:7], s[10:11]
	v_pk_add_f32 v[0:1], v[4:5], s[8:9]
	v_pk_mul_f32 v[2:3], v[2:3], s[46:47]
	v_pk_mul_f32 v[0:1], v[0:1], s[44:45]
	v_accvgpr_write_b32 a0, v4
	global_store_dwordx4 v22, v[0:3], s[84:85] offset:160
	v_accvgpr_write_b32 a1, v5
	v_accvgpr_write_b32 a2, v6
	v_mov_b64_e32 v[0:1], s[50:51]
	v_accvgpr_write_b32 a3, v7
	v_pk_mul_f32 v[6:7], s[14:15], v[0:1]
	v_mov_b64_e32 v[0:1], s[48:49]
	v_pk_mul_f32 v[4:5], s[12:13], v[0:1]
	v_pk_add_f32 v[2:3], v[6:7], s[14:15]
	v_pk_add_f32 v[0:1], v[4:5], s[12:13]
	v_pk_mul_f32 v[2:3], v[2:3], s[50:51]
	v_pk_mul_f32 v[0:1], v[0:1], s[48:49]
	global_store_dwordx4 v22, v[0:3], s[84:85] offset:176
	s_nop 1
	v_mov_b64_e32 v[0:1], s[38:39]
	v_pk_mul_f32 v[10:11], s[2:3], v[0:1]
	v_mov_b64_e32 v[0:1], s[36:37]
	v_pk_mul_f32 v[8:9], s[0:1], v[0:1]
	v_pk_add_f32 v[0:1], v[10:11], s[2:3]
	v_pk_add_f32 v[20:21], v[8:9], s[0:1]
	v_pk_mul_f32 v[2:3], v[0:1], s[38:39]
	v_pk_mul_f32 v[0:1], v[20:21], s[36:37]
	global_store_dwordx4 v22, v[0:3], s[84:85] offset:128
	s_nop 1
	v_mov_b64_e32 v[0:1], s[42:43]
	v_pk_mul_f32 v[2:3], s[6:7], v[0:1]
	v_mov_b64_e32 v[0:1], s[40:41]
	v_pk_mul_f32 v[0:1], s[4:5], v[0:1]
	v_pk_add_f32 v[22:23], v[2:3], s[6:7]
	v_pk_add_f32 v[20:21], v[0:1], s[4:5]
	v_pk_mul_f32 v[22:23], v[22:23], s[42:43]
	v_pk_mul_f32 v[20:21], v[20:21], s[40:41]
	global_store_dwordx4 v16, v[20:23], s[84:85] offset:144
	s_nop 1
	v_mov_b32_e32 v20, 0
	global_store_dwordx4 v20, a[4:7], s[86:87] offset:240
	global_store_dwordx4 v20, a[12:15], s[86:87] offset:224
	global_store_dwordx4 v20, v[12:15], s[86:87] offset:208
	global_store_dwordx4 v20, a[8:11], s[86:87] offset:192
	global_store_dwordx4 v20, v[4:7], s[86:87] offset:176
	global_store_dwordx4 v20, a[0:3], s[86:87] offset:160
	global_store_dwordx4 v20, v[0:3], s[86:87] offset:144
	global_store_dwordx4 v20, v[8:11], s[86:87] offset:128
	scratch_load_dwordx4 v[0:3], off, off offset:32 ; 16-byte Folded Reload
	s_waitcnt vmcnt(0)
	global_store_dwordx4 v20, v[0:3], s[86:87] offset:112
	scratch_load_dwordx4 v[0:3], off, off   ; 16-byte Folded Reload
	s_waitcnt vmcnt(0)
	global_store_dwordx4 v20, v[0:3], s[86:87] offset:96
	scratch_load_dwordx4 v[0:3], off, off offset:64 ; 16-byte Folded Reload
	s_waitcnt vmcnt(0)
	global_store_dwordx4 v20, v[0:3], s[86:87] offset:80
	scratch_load_dwordx4 v[0:3], off, off offset:16 ; 16-byte Folded Reload
	s_waitcnt vmcnt(0)
	global_store_dwordx4 v20, v[0:3], s[86:87] offset:64
	global_store_dwordx4 v20, a[20:23], s[86:87] offset:48
	scratch_load_dwordx4 v[0:3], off, off offset:48 ; 16-byte Folded Reload
	s_waitcnt vmcnt(0)
	global_store_dwordx4 v20, v[0:3], s[86:87] offset:32
	global_store_dwordx4 v20, a[16:19], s[86:87] offset:16
	scratch_load_dwordx4 v[2:5], off, off offset:80 ; 16-byte Folded Reload
	v_mov_b32_e32 v0, 0
	s_waitcnt vmcnt(0)
	global_store_dwordx4 v0, v[2:5], s[86:87]
	s_endpgm
	.section	.rodata,"a",@progbits
	.p2align	6, 0x0
	.amdhsa_kernel spill
		.amdhsa_group_segment_fixed_size 0
		.amdhsa_private_segment_fixed_size 100
		.amdhsa_kernarg_size 272
		.amdhsa_user_sgpr_count 8
		.amdhsa_user_sgpr_dispatch_ptr 1
		.amdhsa_user_sgpr_queue_ptr 1
		.amdhsa_user_sgpr_kernarg_segment_ptr 1
		.amdhsa_user_sgpr_dispatch_id 1
		.amdhsa_user_sgpr_kernarg_preload_length 0
		.amdhsa_user_sgpr_kernarg_preload_offset 0
		.amdhsa_user_sgpr_private_segment_size 0
		.amdhsa_uses_dynamic_stack 0
		.amdhsa_enable_private_segment 1
		.amdhsa_system_sgpr_workgroup_id_x 1
		.amdhsa_system_sgpr_workgroup_id_y 1
		.amdhsa_system_sgpr_workgroup_id_z 1
		.amdhsa_system_sgpr_workgroup_info 0
		.amdhsa_system_vgpr_workitem_id 2
		.amdhsa_next_free_vgpr 48
		.amdhsa_next_free_sgpr 88
		.amdhsa_accum_offset 24
		.amdhsa_reserve_vcc 0
		.amdhsa_float_round_mode_32 0
		.amdhsa_float_round_mode_16_64 0
		.amdhsa_float_denorm_mode_32 3
		.amdhsa_float_denorm_mode_16_64 3
		.amdhsa_dx10_clamp 1
		.amdhsa_ieee_mode 1
		.amdhsa_fp16_overflow 0
		.amdhsa_tg_split 0
		.amdhsa_exception_fp_ieee_invalid_op 0
		.amdhsa_exception_fp_denorm_src 0
		.amdhsa_exception_fp_ieee_div_zero 0
		.amdhsa_exception_fp_ieee_overflow 0
		.amdhsa_exception_fp_ieee_underflow 0
		.amdhsa_exception_fp_ieee_inexact 0
		.amdhsa_exception_int_div_zero 0
	.end_amdhsa_kernel
	.text
.Lfunc_end0:
	.size	spill, .Lfunc_end0-spill
                                        ; -- End function
	.set spill.num_vgpr, 24
	.set spill.num_agpr, 24
	.set spill.numbered_sgpr, 88
	.set spill.num_named_barrier, 0
	.set spill.private_seg_size, 100
	.set spill.uses_vcc, 0
	.set spill.uses_flat_scratch, 0
	.set spill.has_dyn_sized_stack, 0
	.set spill.has_recursion, 0
	.set spill.has_indirect_call, 0
	.section	.AMDGPU.csdata,"",@progbits
; Kernel info:
; codeLenInByte = 1648
; TotalNumSgprs: 94
; NumVgprs: 24
; NumAgprs: 24
; TotalNumVgprs: 48
; ScratchSize: 100
; MemoryBound: 1
; FloatMode: 240
; IeeeMode: 1
; LDSByteSize: 0 bytes/workgroup (compile time only)
; SGPRBlocks: 11
; VGPRBlocks: 5
; NumSGPRsForWavesPerEU: 94
; NumVGPRsForWavesPerEU: 48
; AccumOffset: 24
; Occupancy: 8
; WaveLimiterHint : 1
; COMPUTE_PGM_RSRC2:SCRATCH_EN: 1
; COMPUTE_PGM_RSRC2:USER_SGPR: 8
; COMPUTE_PGM_RSRC2:TRAP_HANDLER: 0
; COMPUTE_PGM_RSRC2:TGID_X_EN: 1
; COMPUTE_PGM_RSRC2:TGID_Y_EN: 1
; COMPUTE_PGM_RSRC2:TGID_Z_EN: 1
; COMPUTE_PGM_RSRC2:TIDIG_COMP_CNT: 2
; COMPUTE_PGM_RSRC3_GFX90A:ACCUM_OFFSET: 5
; COMPUTE_PGM_RSRC3_GFX90A:TG_SPLIT: 0
	.text
	.p2alignl 6, 3212836864
	.fill 256, 4, 3212836864
	.section	.AMDGPU.gpr_maximums,"",@progbits
	.set amdgpu.max_num_vgpr, 0
	.set amdgpu.max_num_agpr, 0
	.set amdgpu.max_num_sgpr, 0
	.set amdgpu.max_num_named_barrier, 0
	.text
	.section	".note.GNU-stack","",@progbits
	.amdgpu_metadata
---
amdhsa.kernels:
  - .agpr_count:     24
    .args:
      - .address_space:  global
        .name:           p
        .offset:         0
        .size:           8
        .value_kind:     global_buffer
      - .address_space:  global
        .name:           q
        .offset:         8
        .size:           8
        .value_kind:     global_buffer
      - .offset:         16
        .size:           4
        .value_kind:     hidden_block_count_x
      - .offset:         20
        .size:           4
        .value_kind:     hidden_block_count_y
      - .offset:         24
        .size:           4
        .value_kind:     hidden_block_count_z
      - .offset:         28
        .size:           2
        .value_kind:     hidden_group_size_x
      - .offset:         30
        .size:           2
        .value_kind:     hidden_group_size_y
      - .offset:         32
        .size:           2
        .value_kind:     hidden_group_size_z
      - .offset:         34
        .size:           2
        .value_kind:     hidden_remainder_x
      - .offset:         36
        .size:           2
        .value_kind:     hidden_remainder_y
      - .offset:         38
        .size:           2
        .value_kind:     hidden_remainder_z
      - .offset:         56
        .size:           8
        .value_kind:     hidden_global_offset_x
      - .offset:         64
        .size:           8
        .value_kind:     hidden_global_offset_y
      - .offset:         72
        .size:           8
        .value_kind:     hidden_global_offset_z
      - .offset:         80
        .size:           2
        .value_kind:     hidden_grid_dims
      - .offset:         96
        .size:           8
        .value_kind:     hidden_hostcall_buffer
      - .offset:         104
        .size:           8
        .value_kind:     hidden_multigrid_sync_arg
      - .offset:         112
        .size:           8
        .value_kind:     hidden_heap_v1
      - .offset:         120
        .size:           8
        .value_kind:     hidden_default_queue
      - .offset:         128
        .size:           8
        .value_kind:     hidden_completion_action
      - .offset:         216
        .size:           8
        .value_kind:     hidden_queue_ptr
    .group_segment_fixed_size: 0
    .kernarg_segment_align: 8
    .kernarg_segment_size: 272
    .max_flat_workgroup_size: 1024
    .name:           spill
    .private_segment_fixed_size: 100
    .sgpr_count:     94
    .sgpr_spill_count: 0
    .symbol:         spill.kd
    .uses_dynamic_stack: false
    .vgpr_count:     48
    .vgpr_spill_count: 24
    .wavefront_size: 64
amdhsa.target:   amdgcn-amd-amdhsa--gfx942
amdhsa.version:
  - 1
  - 2
...

	.end_amdgpu_metadata
