

module attributes {moec.target = #moec.target<"host">} {
  func.func @any_fp8_on_host(%a: memref<?x4096xf8E4M3FNUZ>, %b: memref<4096x4096xf8E4M3FNUZ>, %c: memref<?x4096xbf16>,
                             %a2: memref<?x4096xf8E4M3FN>, %b2: memref<4096x4096xf8E4M3FN>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FNUZ>, memref<4096x4096xf8E4M3FNUZ> -> memref<?x4096xbf16>
    moec.gemm %a2, %b2 -> %c {config = #moec.config<block_k = 64>} : memref<?x4096xf8E4M3FN>, memref<4096x4096xf8E4M3FN> -> memref<?x4096xbf16>
    return
  }
}

//===----------------------------------------------------------------------===//
// kpack
//===----------------------------------------------------------------------===//

