import Planner
import SpecParser

/// Runs a plan's forward and backward passes on the buffers of its arena.
///
/// Legend (as in `Plan`): B rows in the batch, m_l layer widths,
/// H_0 = X (B × m_0), Z_l = H_{l−1} W_l + 1 b_lᵀ, H_l = φ_l(Z_l) (B × m_l),
/// D_l = ∂L/∂Z_l (B × m_l), L the mean loss over the batch.
public final class Network<S: Scalar> {
  public let plan: Plan
  public let arena: Arena<S>
  /// Charges each part of a step to its phase when set (benchmarks only).
  public var timer: PhaseTimer?

  public init(plan: Plan, arena: Arena<S>) {
    precondition(arena.plan == plan, "arena built for another plan")
    self.plan = plan
    self.arena = arena
  }

  /// H_L after the last `forward`: probabilities, or predictions for regression.
  public var outputs: UnsafeMutablePointer<S> {
    arena.pointer(plan.layers[plan.layers.count - 1].activations)
  }

  // MARK: - Forward

  /// Forward through every layer for `rows` input rows (row-major, m_0 wide).
  /// Leaves Z_L in H_L when the output is fused with its loss (softmax,
  /// sigmoid with NLL): `finishOutput` turns it into probabilities.
  public func forward(input: UnsafePointer<S>, rows: Int) {
    precondition(rows <= plan.arena.input.rows, "\(rows) rows exceed the arena's batch")
    var previous = input
    for layer in plan.layers {
      let h = arena.pointer(layer.activations)
      // Z_l = H_{l−1} W_l, written straight into H_l's buffer.
      S.gemm(
        transposeA: false, transposeB: false, m: rows, n: layer.outputs, k: layer.inputs,
        alpha: 1, a: previous, lda: layer.inputs, b: arena.pointer(layer.weight),
        ldb: layer.outputs, beta: 0, c: h, ldc: layer.outputs)
      timer?.mark(.forwardGEMM)
      let fused = layer.index == plan.layers.count - 1 && plan.objective != .quadratic
      addBiasAndActivate(
        h, rows: rows, columns: layer.outputs, bias: layer.bias.map { arena.pointer($0) },
        activation: fused ? .identity : layer.activation)
      timer?.mark(.elementwise)
      previous = UnsafePointer(h)
    }
  }

  /// Completes the output layer and, given labels or targets, adds up the loss.
  /// With `writeDeltas`, D_L = ∂L/∂Z_L for the mean loss over `rows`.
  @discardableResult
  public func finishOutput(
    rows: Int, labels: UnsafePointer<Int32>?, targets: UnsafePointer<S>?, writeDeltas: Bool
  ) -> LossSums {
    let last = plan.layers[plan.layers.count - 1]
    let delta = writeDeltas ? arena.pointer(last.deltas) : nil
    let scale = 1 / S(rows)
    defer { timer?.mark(.elementwise) }
    switch plan.objective {
    case .softmaxCrossEntropy:
      return softmaxCrossEntropy(
        outputs, rows: rows, classes: last.outputs, labels: labels, delta: delta, scale: scale)
    case .sigmoidCrossEntropy:
      return sigmoidCrossEntropy(outputs, rows: rows, labels: labels, delta: delta, scale: scale)
    case .quadratic:
      guard let targets else { return LossSums() }
      return quadraticLoss(
        outputs, rows: rows, columns: last.outputs, activation: last.activation,
        targets: targets, delta: delta, scale: scale)
    }
  }

  // MARK: - Backward

  /// Backward from D_L (written by `finishOutput`) to every parameter block.
  /// **Overwrites** the gradient: ∂L/∂W_l = H_{l−1}ᵀ D_l, ∂L/∂b_l = D_lᵀ 1, for the
  /// data term of the loss only; the L2 term λW is added by the optimizer's
  /// update, fused with its pass over the weights.
  public func backward(input: UnsafePointer<S>, rows: Int) {
    let ones = UnsafePointer(arena.pointer(plan.arena.ones))
    for layer in plan.layers.reversed() {
      let delta = arena.pointer(layer.deltas)
      let previous =
        layer.index == 0
        ? input : UnsafePointer(arena.pointer(plan.layers[layer.index - 1].activations))

      // ∂L/∂W_l = H_{l−1}ᵀ D_l: m_{l−1} × m_l, one GEMM over the batch.
      S.gemm(
        transposeA: true, transposeB: false, m: layer.inputs, n: layer.outputs, k: rows,
        alpha: 1, a: previous, lda: layer.inputs, b: delta, ldb: layer.outputs,
        beta: 0, c: arena.gradientPointer(layer.weight), ldc: layer.outputs)
      timer?.mark(.backwardGEMM)
      // ∂L/∂b_l = column sums of D_l = D_lᵀ 1.
      if let bias = layer.bias {
        S.gemv(
          transposeA: true, m: rows, n: layer.outputs, alpha: 1, a: delta, lda: layer.outputs,
          x: ones, beta: 0, y: arena.gradientPointer(bias))
        timer?.mark(.elementwise)
      }
      guard layer.index > 0 else { break }

      // D_{l−1} = (D_l W_lᵀ) ⊙ φ′_{l−1}(Z_{l−1}), from Z_l = H_{l−1} W_l + 1 b_lᵀ.
      let below = plan.layers[layer.index - 1]
      let deltaBelow = arena.pointer(below.deltas)
      S.gemm(
        transposeA: false, transposeB: true, m: rows, n: layer.inputs, k: layer.outputs,
        alpha: 1, a: delta, lda: layer.outputs, b: arena.pointer(layer.weight),
        ldb: layer.outputs, beta: 0, c: deltaBelow, ldc: layer.inputs)
      timer?.mark(.backwardGEMM)
      multiplyByDerivative(
        deltaBelow, activations: previous, count: rows * layer.inputs,
        activation: below.activation)
      timer?.mark(.elementwise)
    }
  }

  /// Forward, loss and backward on one batch: the gradient of the batch's mean
  /// data loss is left in `arena.gradient`.
  @discardableResult
  public func computeGradient(
    input: UnsafePointer<S>, rows: Int, labels: UnsafePointer<Int32>?,
    targets: UnsafePointer<S>?
  ) -> LossSums {
    precondition(rows <= plan.batchSize, "\(rows) rows exceed the delta buffers' \(plan.batchSize)")
    forward(input: input, rows: rows)
    let sums = finishOutput(rows: rows, labels: labels, targets: targets, writeDeltas: true)
    backward(input: input, rows: rows)
    return sums
  }

  // MARK: - Penalty

  /// λ/2 Σ_l ‖W_l‖², summed in Double; biases are never penalized.
  public func l2Penalty() -> Double {
    let lambda = plan.optimizer.l2
    guard lambda > 0 else { return 0 }
    var sum = 0.0
    for layer in plan.layers {
      let w = arena.pointer(layer.weight)
      for i in 0..<layer.weight.count { sum += Double(w[i]) * Double(w[i]) }
    }
    return lambda / 2 * sum
  }

  /// Adds λW to the weight blocks of the gradient, making it the gradient of
  /// the whole objective (used where the optimizer's fused update is not).
  public func addL2Gradient() {
    let lambda = S(plan.optimizer.l2)
    guard lambda > 0 else { return }
    for layer in plan.layers {
      let w = arena.pointer(layer.weight)
      let g = arena.gradientPointer(layer.weight)
      for i in 0..<layer.weight.count { g[i] += lambda * w[i] }
    }
  }
}
