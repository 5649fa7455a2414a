

module attributes {moec.target = #moec.target<"sm_90">} {
  func.func @waves_per_eu_ignored_on_sm_90(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    moec.gemm %a, %b -> %c {config = #moec.config<waves_per_eu = 16>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

