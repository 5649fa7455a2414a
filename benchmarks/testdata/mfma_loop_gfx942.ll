; A tiny gfx942 kernel with the features benchmarks/isa_report.py must find:
; a K loop, a 16-byte global load (<4 x i32>), LDS (addrspace(3)) traffic
; with a barrier, and an MFMA (v_mfma_f32_16x16x16_bf16).
; Regenerate the assembly the unit test reads with:
;   /usr/lib/llvm-22/bin/llc -mtriple=amdgcn-amd-amdhsa -mcpu=gfx942 -O3 \
;     benchmarks/testdata/mfma_loop_gfx942.ll -o benchmarks/testdata/mfma_loop_gfx942.s
; Not a correct GEMM; only its instruction mix matters.

target triple = "amdgcn-amd-amdhsa"

@lds = internal addrspace(3) global [256 x <4 x i32>] poison, align 16

declare <4 x float> @llvm.amdgcn.mfma.f32.16x16x16bf16.1k(<4 x i16>, <4 x i16>, <4 x float>, i32, i32, i32)
declare i32 @llvm.amdgcn.workitem.id.x()
declare void @llvm.amdgcn.s.barrier()

define amdgpu_kernel void @mfma_loop(ptr addrspace(1) noalias align 16 %a,
                                     ptr addrspace(1) noalias align 16 %b,
                                     ptr addrspace(1) noalias align 16 %c,
                                     i32 %ktiles) #0 {
entry:
  %tid = call i32 @llvm.amdgcn.workitem.id.x()
  %tid64 = zext i32 %tid to i64
  %lds.slot = getelementptr inbounds [256 x <4 x i32>], ptr addrspace(3) @lds, i32 0, i32 %tid
  %has.iter = icmp sgt i32 %ktiles, 0
  br i1 %has.iter, label %loop, label %exit

loop:
  %k = phi i32 [ 0, %entry ], [ %k.next, %loop ]
  %acc = phi <4 x float> [ zeroinitializer, %entry ], [ %acc.next, %loop ]
  %k64 = zext i32 %k to i64
  %row = mul i64 %k64, 256
  %idx = add i64 %row, %tid64
  %pa = getelementptr inbounds <4 x i32>, ptr addrspace(1) %a, i64 %idx
  %pb = getelementptr inbounds <4 x i32>, ptr addrspace(1) %b, i64 %idx
  %va = load <4 x i32>, ptr addrspace(1) %pa, align 16
  %vb = load <4 x i32>, ptr addrspace(1) %pb, align 16
  store <4 x i32> %va, ptr addrspace(3) %lds.slot, align 16
  call void @llvm.amdgcn.s.barrier()
  %other = xor i32 %tid, 1
  %lds.other = getelementptr inbounds [256 x <4 x i32>], ptr addrspace(3) @lds, i32 0, i32 %other
  %la = load <4 x i32>, ptr addrspace(3) %lds.other, align 16
  call void @llvm.amdgcn.s.barrier()
  %la2 = shufflevector <4 x i32> %la, <4 x i32> poison, <2 x i32> <i32 0, i32 1>
  %vb2 = shufflevector <4 x i32> %vb, <4 x i32> poison, <2 x i32> <i32 2, i32 3>
  %opa = bitcast <2 x i32> %la2 to <4 x i16>
  %opb = bitcast <2 x i32> %vb2 to <4 x i16>
  %acc.next = call <4 x float> @llvm.amdgcn.mfma.f32.16x16x16bf16.1k(<4 x i16> %opa, <4 x i16> %opb, <4 x float> %acc, i32 0, i32 0, i32 0)
  %k.next = add nuw nsw i32 %k, 1
  %done = icmp eq i32 %k.next, %ktiles
  br i1 %done, label %exit, label %loop

exit:
  %res = phi <4 x float> [ zeroinitializer, %entry ], [ %acc.next, %loop ]
  %pc = getelementptr inbounds <4 x float>, ptr addrspace(1) %c, i64 %tid64
  store <4 x float> %res, ptr addrspace(1) %pc, align 16
  ret void
}

attributes #0 = { "amdgpu-flat-work-group-size"="1,256" "amdgpu-waves-per-eu"="2" }
