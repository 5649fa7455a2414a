; A kernel whose 24-VGPR cap ("amdgpu-num-vgpr") forces spills: benchmarks/isa_report.py
; must report nonzero vgpr_spill and scratch. Regenerate the assembly with:
;   /usr/lib/llvm-22/bin/llc -mtriple=amdgcn-amd-amdhsa -mcpu=gfx942 -O3 spill_gfx942.ll -o spill_gfx942.s

target triple = "amdgcn-amd-amdhsa"
define amdgpu_kernel void @spill(ptr addrspace(1) %p, ptr addrspace(1) %q) #0 {
  %v = load <64 x float>, ptr addrspace(1) %p, align 16
  %w = load <64 x float>, ptr addrspace(1) %q, align 16
  %x = fmul <64 x float> %v, %w
  %y = fadd <64 x float> %x, %v
  %z = fmul <64 x float> %y, %w
  store <64 x float> %z, ptr addrspace(1) %p, align 16
  store <64 x float> %x, ptr addrspace(1) %q, align 16
  ret void
}
attributes #0 = { "amdgpu-num-vgpr"="24" }
