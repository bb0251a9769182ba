import Planner
import SpecParser

// Element-wise activations, forward beside backward. Each φ′ is written in
// terms of h = φ(z), so Z never needs a buffer of its own:
//   sigmoid  h = 1 / (1 + e^(−z))   φ′ = h (1 − h)
//   tanh     h = tanh z             φ′ = 1 − h²
//   relu     h = max(z, 0)          φ′ = 1 if h > 0 else 0 (0 at the kink)
//   identity h = z                  φ′ = 1
// Softmax is not element-wise; it lives with its loss in Loss.swift.

/// Forward: H ← φ(H + 1 bᵀ) in one pass, H is rows × columns holding Z = H_prev W.
/// `bias` has `columns` elements or is nil for a layer without bias.
@inline(__always)
func addBiasAndActivate<S: Scalar>(
  _ h: UnsafeMutablePointer<S>, rows: Int, columns: Int,
  bias: UnsafePointer<S>?, activation: Activation
) {
  for row in 0..<rows {
    let line = h + row * columns
    if let bias {
      for j in 0..<columns { line[j] += bias[j] }
    }
    switch activation {
    case .identity, .softmax:
      break
    case .relu:
      for j in 0..<columns { line[j] = max(line[j], 0) }
    case .sigmoid:
      for j in 0..<columns { line[j] = sigmoid(line[j]) }
    case .tanh:
      for j in 0..<columns { line[j] = S.tanh(line[j]) }
    }
  }
}

/// Backward: D ← D ⊙ φ′(Z), with φ′ taken from H = φ(Z). D and H are `count` long.
/// Every case is a plain multiply, with no branch or conditional store, so
/// that each loop vectorizes.
@inline(__always)
func multiplyByDerivative<S: Scalar>(
  _ delta: UnsafeMutablePointer<S>, activations h: UnsafePointer<S>, count: Int,
  activation: Activation
) {
  switch activation {
  case .identity, .softmax:
    break
  case .relu:
    for i in 0..<count { delta[i] *= h[i] > 0 ? 1 : 0 }
  case .sigmoid:
    for i in 0..<count { delta[i] *= h[i] * (1 - h[i]) }
  case .tanh:
    for i in 0..<count { delta[i] *= 1 - h[i] * h[i] }
  }
}

/// 1 / (1 + e^(−z)) without overflow: for z < 0 the equal form e^z / (1 + e^z)
/// keeps the exponent negative, so e^(−z) never reaches inf.
@inline(__always)
func sigmoid<S: Scalar>(_ z: S) -> S {
  if z >= 0 {
    return 1 / (1 + S.exp(-z))
  }
  let e = S.exp(z)
  return e / (1 + e)
}
