

// The neighbours that pass: fp8 with block_k 32, 16-bit with kpack 1 and
// block_k 16, 16-bit with nonkdim 32 (K = 8) and kpack 2.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @block_k_ok(%a: memref<?x4096xf8E4M3FNUZ>, %b: memref<4096x4096xf8E4M3FNUZ>, %c: memref<?x4096xbf16>,
                        %a16: memref<?x4096xbf16>, %b16: memref<4096x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 32>} : memref<?x4096xf8E4M3FNUZ>, memref<4096x4096xf8E4M3FNUZ> -> memref<?x4096xbf16>
    moec.gemm %a16, %b16 -> %c {config = #moec.config<block_k = 16, kpack = 1>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    moec.gemm %a16, %b16 -> %c {config = #moec.config<block_k = 16, kpack = 2, matrix_instr_nonkdim = 32>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

//===----------------------------------------------------------------------===//
// Waves cover the tile
//===----------------------------------------------------------------------===//

