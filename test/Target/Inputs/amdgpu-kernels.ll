; Small AMDGPU kernels with known resource use, for the code-object tests.
; No target triple: llc -mtriple and moec-translate --arch set it.
;
;   mfma_lds    MFMA f16 16x16x16, 4 KiB of LDS, waves-per-eu 2, 256 lanes
;   big_lds     48 KiB of LDS and a required workgroup of 256: LDS limits occupancy
;   vgpr_heavy  v0..v127 and a0..a63 clobbered: the register file limits occupancy
;   scratch     a dynamically indexed private array: scratch memory

@tile = internal addrspace(3) global [1024 x float] poison, align 16
@big = internal addrspace(3) global [12288 x float] poison, align 16

define amdgpu_kernel void @mfma_lds(ptr addrspace(1) %a, ptr addrspace(1) %b,
                                    ptr addrspace(1) %c) #0 {
  %tid = call i32 @llvm.amdgcn.workitem.id.x()
  %pa = getelementptr <4 x half>, ptr addrspace(1) %a, i32 %tid
  %pb = getelementptr <4 x half>, ptr addrspace(1) %b, i32 %tid
  %va = load <4 x half>, ptr addrspace(1) %pa, align 8
  %vb = load <4 x half>, ptr addrspace(1) %pb, align 8
  %acc = call <4 x float> @llvm.amdgcn.mfma.f32.16x16x16f16(<4 x half> %va, <4 x half> %vb, <4 x float> zeroinitializer, i32 0, i32 0, i32 0)
  %ps = getelementptr <4 x float>, ptr addrspace(3) @tile, i32 %tid
  store <4 x float> %acc, ptr addrspace(3) %ps, align 16
  call void @llvm.amdgcn.s.barrier()
  %other = xor i32 %tid, 1
  %pl = getelementptr <4 x float>, ptr addrspace(3) @tile, i32 %other
  %v = load <4 x float>, ptr addrspace(3) %pl, align 16
  %pc = getelementptr <4 x float>, ptr addrspace(1) %c, i32 %tid
  store <4 x float> %v, ptr addrspace(1) %pc, align 16
  ret void
}

define amdgpu_kernel void @big_lds(ptr addrspace(1) %out) #1 !reqd_work_group_size !0 {
  %tid = call i32 @llvm.amdgcn.workitem.id.x()
  %f = uitofp i32 %tid to float
  %ps = getelementptr float, ptr addrspace(3) @big, i32 %tid
  store float %f, ptr addrspace(3) %ps, align 4
  call void @llvm.amdgcn.s.barrier()
  %rev = sub i32 12287, %tid
  %pl = getelementptr float, ptr addrspace(3) @big, i32 %rev
  %v = load float, ptr addrspace(3) %pl, align 4
  %po = getelementptr float, ptr addrspace(1) %out, i32 %tid
  store float %v, ptr addrspace(1) %po, align 4
  ret void
}

define amdgpu_kernel void @vgpr_heavy(ptr addrspace(1) %out) #2 {
  call void asm sideeffect "; clobber", "~{v127},~{a63}"()
  %tid = call i32 @llvm.amdgcn.workitem.id.x()
  %po = getelementptr i32, ptr addrspace(1) %out, i32 %tid
  store i32 %tid, ptr addrspace(1) %po, align 4
  ret void
}

define amdgpu_kernel void @scratch(ptr addrspace(1) %out, i32 %i) #2 {
  %buf = alloca [64 x i32], align 4, addrspace(5)
  %tid = call i32 @llvm.amdgcn.workitem.id.x()
  %pw = getelementptr [64 x i32], ptr addrspace(5) %buf, i32 0, i32 %tid
  store volatile i32 %tid, ptr addrspace(5) %pw, align 4
  %pr = getelementptr [64 x i32], ptr addrspace(5) %buf, i32 0, i32 %i
  %v = load volatile i32, ptr addrspace(5) %pr, align 4
  %po = getelementptr i32, ptr addrspace(1) %out, i32 %tid
  store i32 %v, ptr addrspace(1) %po, align 4
  ret void
}

declare i32 @llvm.amdgcn.workitem.id.x()
declare void @llvm.amdgcn.s.barrier()
declare <4 x float> @llvm.amdgcn.mfma.f32.16x16x16f16(<4 x half>, <4 x half>, <4 x float>, i32, i32, i32)

attributes #0 = { "amdgpu-waves-per-eu"="2,2" "amdgpu-flat-work-group-size"="256,256" }
attributes #1 = { "amdgpu-flat-work-group-size"="256,256" }
attributes #2 = { "amdgpu-flat-work-group-size"="64,64" }

!0 = !{i32 256, i32 1, i32 1}

!llvm.module.flags = !{!1}
!1 = !{i32 1, !"amdhsa_code_object_version", i32 500}
