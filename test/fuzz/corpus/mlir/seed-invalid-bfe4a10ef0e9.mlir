

func.func @bad_activation(%a: memref<?x?xf16>, %b: memref<?x?xf16>, %c: memref<?x?xf16>) {
  // expected-error @below {{expected ::moec::Activation to be one of: none, relu, silu, gelu, gelu_tanh}}
  // expected-error @below {{failed to parse Moec_ActivationAttr parameter 'value' which is to be a `::moec::Activation`}}
  moec.gemm %a, %b -> %c {activation = #moec.activation<swish>, config = #moec.config<>} : memref<?x?xf16>, memref<?x?xf16> -> memref<?x?xf16>
  return
}

//===----------------------------------------------------------------------===//
// #moec.target: TargetAttr::verify and syntax
//===----------------------------------------------------------------------===//

