

module attributes {moec.target = #moec.target<"gfx942">} {
  func.func @waves_per_eu_over_limit(%a: memref<?x4096xbf16>, %b: memref<4096x4096xbf16>, %c: memref<?x4096xbf16>) {
    // expected-error @below {{'moec.gemm' op waves_per_eu = 9 is over gfx942's limit of 8 waves per SIMD}}
    moec.gemm %a, %b -> %c {config = #moec.config<waves_per_eu = 9>} : memref<?x4096xbf16>, memref<4096x4096xbf16> -> memref<?x4096xbf16>
    return
  }
}

