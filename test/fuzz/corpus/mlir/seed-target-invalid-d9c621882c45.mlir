

module attributes {moec.target = #moec.target<"sm_80">} {
  func.func @block_m16_on_sm_80(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 16, block_n = 128, matrix_instr_nonkdim = 32>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

//===----------------------------------------------------------------------===//
// Tile K divisible by the instruction's K x kpack
//===----------------------------------------------------------------------===//

