import Planner
import SpecParser

// Losses fused with the output layer. Each kernel reads the batch's output
// rows, turns them into the model's outputs in place, and, when asked, adds up
// the loss and writes the output deltas D_L = ∂L/∂Z_L already scaled by 1/B.
// Legend: Z, H are rows × K (the last layer's buffer), y the labels or targets.

/// What a loss kernel adds up over a batch, in Double so that sums over a
/// whole epoch do not lose the small terms.
public struct LossSums: Sendable, Equatable {
  public var loss: Double = 0
  /// Rows whose most likely class is the label (classifiers only).
  public var correct: Int = 0
  /// Σ‖y − h‖² (regression only).
  public var squaredError: Double = 0

  public init() {}

  public static func += (a: inout LossSums, b: LossSums) {
    a.loss += b.loss
    a.correct += b.correct
    a.squaredError += b.squaredError
  }
}

/// Softmax with categorical NLL. On entry H holds Z; on return H holds the
/// class probabilities.
///   ℓ = −log softmax(z)_y = log Σ_k e^(z_k − m) + m − z_y,   m = max_k z_k
/// Subtracting the row max keeps every exponent ≤ 0, so nothing overflows and
/// the true logit enters linearly. Backward, without the softmax Jacobian:
///   ∂ℓ/∂z = softmax(z) − onehot(y),  D = (H − onehot(y)) · scale.
/// `labels` nil: transform only. `delta` nil: no gradient.
@inline(__always)
func softmaxCrossEntropy<S: Scalar>(
  _ h: UnsafeMutablePointer<S>, rows: Int, classes K: Int,
  labels: UnsafePointer<Int32>?, delta: UnsafeMutablePointer<S>?, scale: S
) -> LossSums {
  var sums = LossSums()
  for row in 0..<rows {
    let z = h + row * K
    var m = z[0]
    var best = 0
    for k in 1..<K where z[k] > m {
      m = z[k]
      best = k
    }
    // The true logit is read before the row is overwritten by e^(z − m).
    let shiftedTrueLogit = labels.map { z[Int($0[row])] - m } ?? 0
    var total: S = 0
    for k in 0..<K {
      let e = S.exp(z[k] - m)
      z[k] = e
      total += e
    }
    if let labels {
      sums.loss += Double(S.log(total)) - Double(shiftedTrueLogit)
      if best == Int(labels[row]) { sums.correct += 1 }
    }
    let inverse = 1 / total
    for k in 0..<K { z[k] *= inverse }
    if let delta, let labels {
      let d = delta + row * K
      for k in 0..<K { d[k] = z[k] * scale }
      d[Int(labels[row])] -= scale
    }
  }
  return sums
}

/// One sigmoid unit with Bernoulli NLL, labels 0 or 1. On entry H holds the
/// logits z (rows × 1); on return the probabilities p = σ(z).
///   ℓ = −[y log p + (1 − y) log(1 − p)] = max(z, 0) − z y + log(1 + e^(−|z|))
/// The sign-split form never exponentiates a positive number, so ℓ stays finite
/// and exact however far the sigmoid saturates.
///   ∂ℓ/∂z = p − y,  D = (p − y) · scale.
@inline(__always)
func sigmoidCrossEntropy<S: Scalar>(
  _ h: UnsafeMutablePointer<S>, rows: Int,
  labels: UnsafePointer<Int32>?, delta: UnsafeMutablePointer<S>?, scale: S
) -> LossSums {
  var sums = LossSums()
  for row in 0..<rows {
    let z = h[row]
    let p = sigmoid(z)
    h[row] = p
    guard let labels else { continue }
    let y: S = labels[row] == 0 ? 0 : 1
    sums.loss += Double(max(z, 0) - z * y + S.log1p(S.exp(-abs(z))))
    if (z >= 0) == (labels[row] != 0) { sums.correct += 1 }
    if let delta { delta[row] = (p - y) * scale }
  }
  return sums
}

/// Quadratic loss on outputs H = φ(Z) that the layer has already formed
/// (rows × K), against targets Y of the same shape.
///   ℓ = ½‖y − h‖²,  ∂ℓ/∂z = (h − y) ⊙ φ′(z),  D = (H − Y) ⊙ φ′ · scale.
@inline(__always)
func quadraticLoss<S: Scalar>(
  _ h: UnsafeMutablePointer<S>, rows: Int, columns K: Int, activation: Activation,
  targets: UnsafePointer<S>, delta: UnsafeMutablePointer<S>?, scale: S
) -> LossSums {
  var sums = LossSums()
  let count = rows * K
  var squared = 0.0
  for i in 0..<count {
    let r = h[i] - targets[i]
    squared += Double(r * r)
    if let delta { delta[i] = r * scale }
  }
  if let delta {
    multiplyByDerivative(delta, activations: h, count: count, activation: activation)
  }
  sums.squaredError = squared
  sums.loss = squared / 2
  return sums
}
