//===- MoecPasses.td - moec pass declarations --------------*- tablegen -*-===//

#ifndef MOEC_PASSES_TD
#define MOEC_PASSES_TD

include "mlir/Pass/PassBase.td"

def MoecLowerToKernels : Pass<"moec-lower-to-kernels", "::mlir::ModuleOp"> {
  let summary = "Outline each moec op into a gpu.func kernel for the module's target";
  let description = [{
    Builds, for every `moec.gemm`, one workgroup's program as a `gpu.func` in
    the `gpu.module @moec_kernels` (workgroup swizzle, software-pipelined K
    loop through LDS, masked edge tiles, epilogue) and replaces the op with a
    `gpu.launch_func` over `ceil(M / block_m) * ceil(N / block_n)`
    workgroups. The tile product comes from the target's matrix core: MFMA
    on gfx90a/gfx942/gfx950, mma.sync with ldmatrix fragments on sm_80/sm_90,
    a sub-tile per lane on the host (its lanes run as fibers). The target is
    the module's `moec.target`. On NVIDIA, a config with `async_copy = true`
    stages K tiles with cp.async into a ring of num_stages LDS buffers.
    Every size (lanes, LDS, vector widths) comes from the op's KernelPlan.
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::math::MathDialect"
  ];
  // The target dialects of the matrix cores are added by the registered
  // cores (LowerToKernels.cpp: getDependentDialects), so this
  // target-independent pass names none.
}

def MoecLowerGemmToTiles
    : Pass<"moec-lower-gemm-to-tiles", "::mlir::ModuleOp"> {
  let summary = "Lower each moec.gemm to a tile program and its launch";
  let description = [{
    The first, target-independent step of the tile level: every `moec.gemm`
    becomes a tile program, a `func.func` marked `moec.tile_program` that is
    one workgroup's program on tiles (program id, the group_m swizzle as
    index arithmetic, a K loop `scf.for` carrying the f32 accumulator tile
    over masked `moec.tile.load`s and `moec.tile.dot`, the epilogue as
    arith/math on tiles: scales, bias, activation, conversion, and a masked
    `moec.tile.store`), and the op becomes a `moec.tile.launch` of it over
    `ceil(M / block_m) * ceil(N / block_n)` programs. Tile sizes and grid
    come from the op's KernelPlan (the module's `moec.target`); nothing here
    depends on the target. Other moec ops are left alone.

    This level is not yet consumed by the code generators: the kernels are
    still built by `moec-lower-to-kernels` from `moec.gemm`.
  }];
  let dependentDialects = [
    "::mlir::func::FuncDialect", "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::math::MathDialect"
  ];
}

def MoecKernelsToHost : Pass<"moec-kernels-to-host", "::mlir::ModuleOp"> {
  let summary = "Turn gpu.func kernels into CPU lane functions";
  let description = [{
    For the `host` target: every `gpu.func` of `gpu.module @moec_kernels`
    becomes a `func.func` of the top-level module with three trailing `index`
    arguments, the workgroup id (x, y, z): the program of one lane, which
    the runtime's host device runs once per lane of `known_block_size`, each
    lane a fiber (include/moec/Runtime/HostKernel.h). With more than one
    lane, `gpu.thread_id x` becomes a call of `moec_host_thread_id`, each
    `gpu.barrier` a call of `moec_host_barrier` with its number, and the
    workgroup memory views of the one buffer `moec_host_lds` returns;
    `gpu.block_dim x` is the known lane count. A one-lane kernel (a
    `gpu.func` of known block size 1; moec's own kernels have more) has
    thread id 0, no barriers, and its workgroup memory on its stack. The `gpu.module` and the host-side
    launches are removed: the runtime launches host workgroups itself.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def MoecConvertKernelsToLLVM
    : Pass<"moec-convert-kernels-to-llvm", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Lower the kernels of a gpu.module to LLVM + ROCDL or NVVM";
  let description = [{
    One full dialect conversion of everything the kernel builder emits
    (arith, math, cf, memref, vector, gpu, amdgpu or nvgpu) into the LLVM
    dialect plus ROCDL (AMD, chipset from the module's `moec.target`) or
    NVVM. A full conversion names any op it cannot lower instead of leaving
    half-converted IR behind. Dynamic vector masks are materialized first.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::ROCDL::ROCDLDialect",
                           "::mlir::NVVM::NVVMDialect"];
}

#endif // MOEC_PASSES_TD
