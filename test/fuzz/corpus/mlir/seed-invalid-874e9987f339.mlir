

func.func @config_wrong_attr_kind(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{attribute 'config' failed to satisfy constraint}}
  moec.gemm %a, %b -> %c {config = {block_m = 64 : i64}} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

