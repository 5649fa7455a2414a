

// 32 warps of 32 lanes fit an NVIDIA block.
module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @lanes_ok_sm_90(%a: memref<?x?xbf16>, %b: memref<?x?xbf16>, %c: memref<?x?xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 128, block_n = 128, num_warps = 32>} : memref<?x?xbf16>, memref<?x?xbf16> -> memref<?x?xbf16>
    return
  }
}

//===----------------------------------------------------------------------===//
// fp8 flavour per target (checked before the matrix instruction is chosen)
//===----------------------------------------------------------------------===//

