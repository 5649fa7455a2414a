//===- MoecDialect.td - the moec dialect -------------------*- tablegen -*-===//
//
// The `moec` dialect describes whole GEMM, fused-MoE and sparse-attention
// problems on buffers, each carrying an explicit tuning configuration. Passes
// lower them to tiled GPU IR and on to AMDGPU, NVIDIA or host code.
//
//===----------------------------------------------------------------------===//

#ifndef MOEC_DIALECT_TD
#define MOEC_DIALECT_TD

include "mlir/IR/OpBase.td"

def Moec_Dialect : Dialect {
  let name = "moec";
  let cppNamespace = "::moec";
  let summary = "Tiled GEMM, fused-MoE and sparse-attention problems with tuning configs";
  let description = [{
    Ops of this dialect describe a whole problem at the level a kernel author
    thinks (`C = epilogue(A x B)`, a fused-MoE grouped GEMM, a sparse MLA
    decode). Each op carries a `#moec.config` with the tuning parameters that
    users know from Triton on ROCm. A module may carry a `moec.target`
    attribute (`#moec.target<"gfx942">`); ops inside it are then also checked
    against that target's limits (LDS size, MFMA shapes, supported dtypes).
  }];
  let useDefaultAttributePrinterParser = 1;
  // `moec.target` must hold a #moec.target: a string or a misspelled name
  // would otherwise turn the target checks off without a word.
  let hasOperationAttrVerify = 1;
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
  let extraClassDeclaration = [{
    /// Name of the module attribute holding the `#moec.target`.
    static constexpr ::llvm::StringLiteral kTargetAttrName = "moec.target";
    /// Set by moec-lower-to-kernels on every kernel it builds: the config it
    /// was built with and the LDS bytes it allocates.
    static constexpr ::llvm::StringLiteral kKernelConfigAttrName = "moec.config";
    static constexpr ::llvm::StringLiteral kKernelLdsBytesAttrName = "moec.lds_bytes";
    /// Set when the kernel's LDS is dynamic shared memory (NVIDIA, > 48 KiB):
    /// the launch must pass moec.lds_bytes as the dynamic size.
    static constexpr ::llvm::StringLiteral kKernelDynamicLdsAttrName = "moec.dynamic_lds";
    /// Marks a `func.func` as a tile program (moec-lower-gemm-to-tiles):
    /// one workgroup's program on tiles, run by `moec.tile.launch`.
    static constexpr ::llvm::StringLiteral kTileProgramAttrName = "moec.tile_program";
    /// The decisions of the tile passes (#moec.core on a tile.dot,
    /// #moec.pipeline on the K loop, #moec.epilogue on the accumulator's
    /// tile.store, #moec.access on tile loads and stores).
    static constexpr ::llvm::StringLiteral kCoreAttrName = "moec.core";
    static constexpr ::llvm::StringLiteral kPipelineAttrName = "moec.pipeline";
    static constexpr ::llvm::StringLiteral kEpilogueAttrName = "moec.epilogue";
    static constexpr ::llvm::StringLiteral kAccessAttrName = "moec.access";
  }];
}

class Moec_Op<string mnemonic, list<Trait> traits = []>
    : Op<Moec_Dialect, mnemonic, traits>;

#endif // MOEC_DIALECT_TD
