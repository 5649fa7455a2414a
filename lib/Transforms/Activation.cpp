//===- Activation.cpp - the epilogue's activation functions ---------------===//

#include "moec/Transforms/Activation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;

Value moec::buildActivation(OpBuilder &b, Location loc, Activation act,
                            Value x) {
  constexpr double kLog2e = 1.4426950408889634;
  Type type = x.getType();
  auto f32 = [&](double v) -> Value {
    FloatAttr scalar = b.getF32FloatAttr(v);
    if (auto shaped = dyn_cast<ShapedType>(type))
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(shaped, scalar.getValue()));
    return arith::ConstantOp::create(b, loc, scalar);
  };
  auto exp = [&](Value v) {
    return math::Exp2Op::create(b, loc, arith::MulFOp::create(b, loc, v,
                                                             f32(kLog2e)));
  };
  auto mulf = [&](Value p, Value q) { return arith::MulFOp::create(b, loc, p, q); };
  auto addf = [&](Value p, Value q) { return arith::AddFOp::create(b, loc, p, q); };
  auto divf = [&](Value p, Value q) { return arith::DivFOp::create(b, loc, p, q); };
  switch (act) {
  case Activation::none:
    return x;
  case Activation::relu:
    return arith::MaximumFOp::create(b, loc, x, f32(0.0));
  case Activation::silu: // x / (1 + e^-x)
    return divf(x, addf(f32(1.0), exp(arith::NegFOp::create(b, loc, x))));
  case Activation::gelu_tanh: {
    // 0.5 x (1 + tanh(y)), y = sqrt(2/pi) (x + 0.044715 x^3);
    // tanh(y) = 1 - 2 / (e^{2y} + 1) saturates correctly at +-inf.
    Value x3 = mulf(mulf(x, x), x);
    Value y = mulf(f32(0.7978845608028654), addf(x, mulf(f32(0.044715), x3)));
    Value t = arith::SubFOp::create(
        b, loc, f32(1.0), divf(f32(2.0), addf(exp(mulf(f32(2.0), y)), f32(1.0))));
    return mulf(mulf(f32(0.5), x), addf(f32(1.0), t));
  }
  case Activation::gelu: {
    // 0.5 x (1 + erf(x / sqrt 2)), erf by Abramowitz & Stegun 7.1.26
    // (absolute error below 1.5e-7, under f32 rounding of the result).
    Value z = mulf(x, f32(0.7071067811865476));
    Value az = math::AbsFOp::create(b, loc, z);
    Value t = divf(f32(1.0), addf(f32(1.0), mulf(f32(0.3275911), az)));
    Value poly = f32(1.061405429);
    for (double c : {-1.453152027, 1.421413741, -0.284496736, 0.254829592})
      poly = addf(mulf(poly, t), f32(c));
    poly = mulf(poly, t);
    Value e = exp(arith::NegFOp::create(b, loc, mulf(az, az)));
    Value erfAbs = arith::SubFOp::create(b, loc, f32(1.0), mulf(poly, e));
    Value erf = math::CopySignOp::create(b, loc, erfAbs, z);
    return mulf(mulf(f32(0.5), x), addf(f32(1.0), erf));
  }
  }
  return x;
}
