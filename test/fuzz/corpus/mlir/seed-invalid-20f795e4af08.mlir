

func.func @config_bad_epilogue(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected one of [direct, lds] for how the accumulator reaches memory, got: fancy}}
  // expected-error @below {{failed to parse Moec_ConfigAttr parameter 'epilogue' which is to be a `::moec::EpilogueKind`}}
  moec.gemm %a, %b -> %c {config = #moec.config<epilogue = fancy>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

