//===- MoecPasses.td - moec pass declarations --------------*- tablegen -*-===//

#ifndef MOEC_PASSES_TD
#define MOEC_PASSES_TD

include "mlir/Pass/PassBase.td"

def MoecLowerToKernels : Pass<"moec-lower-to-kernels", "::mlir::ModuleOp"> {
  let summary = "Outline each moec op into a gpu.func kernel for the module's target";
  let description = [{
    Builds, for every moec op, one workgroup's program as a `gpu.func` in
    the `gpu.module @moec_kernels` and replaces the op with a
    `gpu.launch_func` of it. `moec.gemm` has one lowering, through the tile
    level (moec-lower-gemm-to-tiles, the decision passes, moec-tile-to-lanes):
    the compile pipeline runs those passes first; run alone, this pass runs
    them on the module's gemms. `moec.moe_gemm` is built here with the same
    GEMM skeleton (workgroup swizzle, software-pipelined K loop through LDS,
    masked edge tiles, epilogue), a launch over
    `ceil(M / block_m) * ceil(N / block_n)` workgroups. The tile product comes from the target's matrix core: MFMA
    on gfx90a/gfx942/gfx950, mma.sync with ldmatrix fragments on sm_80/sm_90,
    a sub-tile per lane on the host (its lanes run as fibers). The target is
    the module's `moec.target`. On NVIDIA, a config with `async_copy = true`
    stages K tiles with cp.async into a ring of num_stages LDS buffers.
    Every size (lanes, LDS, vector widths) comes from the op's KernelPlan.
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::math::MathDialect",
    "::mlir::func::FuncDialect"
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

// The decision passes over tile programs. Each makes one decision for every
// tile program of the module (from the program's KernelPlan: its
// `moec.config`, the module's `moec.target` and the GEMM the program
// computes) and writes it into the IR as an attribute; moec-tile-to-lanes
// obeys the attributes. Each runs alone in moec-opt.

def MoecTileSelectCore : Pass<"moec-tile-select-core", "::mlir::ModuleOp"> {
  let summary = "Choose the matrix core and lane distribution of each tile.dot";
  let description = [{
    Sets `moec.core = #moec.core<...>` on every `moec.tile.dot` of a tile
    program: the target's matrix core (MFMA on AMD, mma.sync on NVIDIA, the
    host's per-lane sub-tiles), the plan's instruction and the K it is
    built from, `matrix_instr_nonkdim` and `kpack` (AMD; kpack also on the
    host), and the lanes: num_warps waves of the target's wave size,
    waves_per_eu.
  }];
}

def MoecTilePipeline : Pass<"moec-tile-pipeline", "::mlir::ModuleOp"> {
  let summary = "Choose the software pipeline of each tile program's K loop";
  let description = [{
    Sets `moec.pipeline = #moec.pipeline<...>` on the K loop (the `scf.for`
    carrying the accumulator of a tile.dot): the effective num_stages, the
    LDS buffers of the ring (1 up to two stages, the prefetch waiting in
    registers; num_stages - 1 beyond; num_stages with async copies), whether
    tiles go by asynchronous copies (NVIDIA cp.async, `async_copy`), and the
    bytes of the A and B rings.
  }];
}

def MoecTileEpilogue : Pass<"moec-tile-epilogue", "::mlir::ModuleOp"> {
  let summary = "Choose how each tile program's accumulator reaches memory";
  let description = [{
    Sets `moec.epilogue = #moec.epilogue<...>` on the `moec.tile.store` of
    the accumulator: `direct` (each lane stores the elements its matrix core
    holds) or `lds` (through an LDS tile for row-vector stores), and the LDS
    bytes of that tile.
  }];
}

def MoecTileGlobalAccess
    : Pass<"moec-tile-global-access", "::mlir::ModuleOp"> {
  let summary = "Choose the vector width and alignment of each global tile access";
  let description = [{
    Sets `moec.access = #moec.access<vec, aligned>` on the tile loads of A
    and B (16-byte vectors along the contiguous dimension), on the
    accumulator's store (the `lds` epilogue's row vectors) and on the
    rank-1 loads of the epilogue (element by element, vec = 1); `aligned`
    says the leading dimension is a known multiple of 16 bytes (static, or
    `assume_aligned`): no element-by-element edge path.
  }];
}

def MoecTileToLanes : Pass<"moec-tile-to-lanes", "::mlir::ModuleOp"> {
  let summary = "Distribute annotated tile programs over lanes as gpu.func kernels";
  let description = [{
    Replaces every `moec.tile.launch` of a GEMM tile program with a
    `gpu.launch_func` of a `gpu.func` in `gpu.module @moec_kernels` (the
    program's name), built by the GEMM skeleton's pieces
    (GemmKernelBuilder.cpp) from the decisions the tile passes wrote:
    the matrix core and lanes (#moec.core), the K loop variant and LDS ring
    (#moec.pipeline), the epilogue (#moec.epilogue) and the global accesses
    (#moec.access). The program's index arithmetic (sizes, the workgroup
    swizzle) is cloned with the block id for the program id; its epilogue
    (arith/math on the accumulator tile, splats and broadcasts of scales and
    bias) is converted element by element in the matrix core's layout. A
    program missing a decision is an error naming the pass that makes it.
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::math::MathDialect"
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
