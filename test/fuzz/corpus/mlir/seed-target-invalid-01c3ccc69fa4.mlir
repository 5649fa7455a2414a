

// 8 is the limit itself; NVIDIA and host ignore the hint.
module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @waves_per_eu_at_limit(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<waves_per_eu = 8>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

