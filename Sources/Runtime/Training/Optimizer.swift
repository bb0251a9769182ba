import Planner

/// The first-order update rules, applied in place to θ from the gradient of the
/// mean data loss g. The L2 term is folded into the same pass: on weight
/// blocks the rule sees g + λw, on bias blocks g alone, so the penalty never
/// touches a bias and costs no extra pass over the parameters.
///
/// State vectors (θ's layout): SGD with momentum keeps the velocity v;
/// Adam keeps the moments m and v.
public struct Optimizer<S: Scalar> {
  public let plan: Plan
  /// Updates taken so far (Adam's bias correction needs it); settable so a
  /// checkpoint can restore it.
  public var step = 0

  public init(plan: Plan) {
    self.plan = plan
  }

  /// One update θ ← θ − η · rule(g + λw) with step size `eta`.
  public mutating func update(_ arena: Arena<S>, learningRate eta: Double) {
    step += 1
    let settings = plan.optimizer
    for block in plan.parameters.blocks {
      let isWeight = block.shape.count == 2
      let lambda = isWeight ? S(settings.l2) : 0
      let w = arena.parameters.baseAddress! + block.offset
      let g = UnsafePointer(arena.gradient.baseAddress! + block.offset)
      let n = block.count
      switch settings.kind {
      case .sgd where settings.momentum > 0:
        // v ← μv + g;  w ← w − η v, or with Nesterov w ← w − η (g + μv).
        let v = arena.statePointer(0) + block.offset
        let mu = S(settings.momentum)
        let rate = S(eta)
        if settings.nesterov {
          for i in 0..<n {
            let gi = g[i] + lambda * w[i]
            v[i] = mu * v[i] + gi
            w[i] -= rate * (gi + mu * v[i])
          }
        } else {
          for i in 0..<n {
            v[i] = mu * v[i] + g[i] + lambda * w[i]
            w[i] -= rate * v[i]
          }
        }
      case .sgd:
        let rate = S(eta)
        for i in 0..<n { w[i] -= rate * (g[i] + lambda * w[i]) }
      case .adam:
        // m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
        // w ← w − η m̂ / (√v̂ + ε) with m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ).
        // The two corrections are folded into one step size and one ε scale.
        let m = arena.statePointer(0) + block.offset
        let v = arena.statePointer(1) + block.offset
        let beta1 = S(settings.beta1)
        let beta2 = S(settings.beta2)
        // 1 − β taken in Double: in Float, 1 − Float(0.999) is 1.3e-5 off
        // 0.001, a bias in v that the Double bias correction would not undo.
        let complement1 = S(1 - settings.beta1)
        let complement2 = S(1 - settings.beta2)
        let correction1 = 1 - pow(settings.beta1, Double(step))
        let correction2 = 1 - pow(settings.beta2, Double(step))
        let rate = S(eta * correction2.squareRoot() / correction1)
        let epsilon = S(settings.epsilon * correction2.squareRoot())
        for i in 0..<n {
          let gi = g[i] + lambda * w[i]
          m[i] = beta1 * m[i] + complement1 * gi
          v[i] = beta2 * v[i] + complement2 * gi * gi
          w[i] -= rate * m[i] / (v[i].squareRoot() + epsilon)
        }
      case .newton:
        preconditionFailure("Newton's method is solved by NewtonSolver, not a first-order update")
      }
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
