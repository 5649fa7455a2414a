

func.func @config_epilogue_integer(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected keyword for how the accumulator reaches memory}}
  // expected-error @below {{failed to parse Moec_ConfigAttr parameter 'epilogue' which is to be a `::moec::EpilogueKind`}}
  moec.gemm %a, %b -> %c {config = #moec.config<epilogue = 1>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

