

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @waves_cover(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>,
                         %q: memref<?x128x576xbf16>, %kv: memref<?x64x576xbf16>, %idx: memref<?x2048xi32>, %out: memref<?x128x512xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 16, block_n = 16, num_warps = 1>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    moec.gemm %a, %b -> %c {config = #moec.config<block_m = 32, block_n = 32, num_warps = 4>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    moec.sparse_attention %q, %kv, %idx -> %out {scale = 0.04 : f32, config = #moec.config<num_warps = 2>} : memref<?x128x576xbf16>, memref<?x64x576xbf16>, memref<?x2048xi32> -> memref<?x128x512xbf16>
    return
  }
}

//===----------------------------------------------------------------------===//
// waves_per_eu and the accumulator's register budget (AMD only)
//===----------------------------------------------------------------------===//

