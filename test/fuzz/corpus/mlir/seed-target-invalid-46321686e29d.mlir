

// The same kpack = 2 is fine on gfx942 and gfx90a, and ignored on NVIDIA
// (even with a block_k that kpack = 2 would not divide on AMD).
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @kpack2_on_gfx942(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<block_k = 64, kpack = 2>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

