import Planner

/// Detects training data that an unregularized logistic or softmax regression
/// separates, where the loss has no minimum to converge to.
///
/// Legend: x̃ = [x, 1] (the 1 only with a bias), y the class, z the logits of
/// one example, θ the P parameters of the single dense layer, d a direction
/// in θ's space. Each example contributes margins that are linear in θ, one
/// row aᵢ of a matrix A (N × P) each:
///   sigmoid  (2y − 1) z            N = n rows,        P = m̃
///   softmax  z_y − z_k,  k ≠ y     N = n (K − 1) rows, P = m̃ K
/// With λ = 0, J(θ) = (1/n) Σ ℓ is positive and falls whenever margins grow.
/// A direction d with A d ≥ 0 and A d ≠ 0 therefore lowers J for ever:
/// J(θ + t d) keeps falling as t → ∞, so no finite θ minimizes J and every
/// descent method drives ‖θ‖ up without bound. Such a d exists exactly when
/// the classes can be separated by the layer, completely (every margin
/// positive) or quasi-completely (some margins only kept at 0, as when one of
/// three classes is separable from the other two).
///
/// Two tests find it:
/// - a proof before training (`verdict`): by Stiemke's lemma no such d exists
///   exactly when some y > 0 has Aᵀ y = 0, and that holds exactly when −c,
///   c = Σᵢ aᵢ, lies in the cone of the rows (then Σ (1 + λᵢ) aᵢ = 0). One
///   non-negative least-squares problem, min_{λ ≥ 0} ‖Aᵀλ + c‖, settles it:
///   its residual r is 0 when the data overlap, and otherwise is itself a
///   separating direction (its optimality conditions give A r ≥ 0 and
///   cᵀr = ‖r‖² > 0), which is checked before it is believed;
/// - for problems too large for the proof, a certificate after every epoch
///   (`separatesEveryExample`): the trained θ itself when all its margins are
///   positive (complete separation only).
enum Separability {
  /// Whether `plan` can have separable data: one dense layer, a loss fused
  /// with a sigmoid or softmax output, and no L2 penalty.
  static func isWatched(_ plan: Plan) -> Bool {
    plan.layers.count == 1 && plan.optimizer.l2 == 0
      && (plan.objective == .sigmoidCrossEntropy || plan.objective == .softmaxCrossEntropy)
  }

  /// The proof runs when N · P² (its work: multiply-adds per pass over the
  /// rows, times the passes it may need) stays below this, and A's N · P
  /// doubles below `proofMemoryBudget`. Breast cancer (N = 455, P = 31) and
  /// iris (240 × 15) are well inside; digits' ten classes (12 933 × 650) and
  /// Fashion-MNIST are left to the certificate.
  static let proofBudget = 200_000_000.0
  static let proofMemoryBudget = 10_000_000.0

  enum Verdict: Equatable {
    /// A direction that raises every margin or keeps it: θ has no finite optimum.
    case separable
    /// The classes overlap: J has a minimum.
    case overlapping
    /// Too large to decide before training, or the solver did not settle.
    case undecided
  }

  /// Decides before training whether `train` is separable for `plan`'s layer.
  static func verdict<S: Scalar>(
    _ plan: Plan, train: Examples<S>, budget: Double = proofBudget
  ) -> Verdict {
    guard isWatched(plan), train.count > 0 else { return .undecided }
    let layer = plan.layers[0]
    let m = layer.inputs
    let width = layer.bias == nil ? m : m + 1
    let K = layer.outputs
    let P = width * K
    let N = train.count * max(K - 1, 1)
    guard Double(N) * Double(P) * Double(P) <= budget, Double(N) * Double(P) <= proofMemoryBudget
    else { return .undecided }

    // The margin rows aᵢ in θ's layout: W[j, k] at j K + k, b[k] at m K + k.
    var rows = [Double](repeating: 0, count: N * P)
    var row = 0
    for i in 0..<train.count {
      let y = Int(train.labels[i])
      let others = K == 1 ? [0] : (0..<K).filter { $0 != y }
      for k in others {
        let a = row * P
        for j in 0..<width {
          let x = j < m ? Double(train.features[i * m + j]) : 1
          if K == 1 {
            rows[a + j] = y == 0 ? -x : x
          } else {
            rows[a + j * K + y] = x
            rows[a + j * K + k] = -x
          }
        }
        row += 1
      }
    }
    return verdict(rows: rows, count: N, width: P)
  }

  /// The verdict for margin rows A (`count` × `width`, row-major).
  static func verdict(rows a: [Double], count N: Int, width P: Int) -> Verdict {
    var c = [Double](repeating: 0, count: P)
    var largestRow = 0.0
    for i in 0..<N {
      var norm = 0.0
      for j in 0..<P {
        c[j] += a[i * P + j]
        norm += a[i * P + j] * a[i * P + j]
      }
      largestRow = max(largestRow, norm.squareRoot())
    }
    let cNorm = c.reduce(0) { $0 + $1 * $1 }.squareRoot()
    // Σ 1 · aᵢ = 0 already is Stiemke's y: the data overlap.
    guard cNorm > 0, largestRow > 0 else { return .overlapping }
    guard let lambda = nonNegativeLeastSquares(a, count: N, width: P, target: c.map { -$0 })
    else { return .undecided }

    // r = Aᵀλ + c; 0 up to rounding when −c is in the cone of the rows.
    var r = c
    for i in 0..<N where lambda[i] > 0 {
      for j in 0..<P { r[j] += lambda[i] * a[i * P + j] }
    }
    let rNorm = r.reduce(0) { $0 + $1 * $1 }.squareRoot()
    if rNorm <= 1e-8 * cNorm { return .overlapping }

    // Believe r only as a certificate: no margin falls along it beyond
    // rounding (measured against the largest a margin could change), some rise.
    let rounding = 1e-8 * largestRow * rNorm
    var gain = 0.0
    for i in 0..<N {
      var along = 0.0
      for j in 0..<P { along += a[i * P + j] * r[j] }
      if along < -rounding { return .undecided }
      gain += along
    }
    return gain > rounding ? .separable : .undecided
  }

  /// Lawson and Hanson's active-set method for min_{λ ≥ 0} ‖Aᵀλ − t‖, A the
  /// `count` × `width` rows: each pass frees the row most correlated with the
  /// residual, solves least squares on the free rows (normal equations by
  /// Cholesky), and steps back to the boundary while any free λ would go
  /// negative. nil if it does not settle within its iteration limit.
  static func nonNegativeLeastSquares(
    _ a: [Double], count N: Int, width P: Int, target t: [Double]
  ) -> [Double]? {
    var lambda = [Double](repeating: 0, count: N)
    var free: [Int] = []
    var isFree = [Bool](repeating: false, count: N)
    var residual = t
    var largestRow = 0.0
    for i in 0..<N {
      var norm = 0.0
      for j in 0..<P { norm += a[i * P + j] * a[i * P + j] }
      largestRow = max(largestRow, norm.squareRoot())
    }
    let tolerance = 1e-11 * largestRow * t.reduce(0) { $0 + $1 * $1 }.squareRoot()
    // A row whose own least-squares weight came out ≤ 0 is rounding noise;
    // it is passed over until λ next changes.
    var passedOver = [Bool](repeating: false, count: N)

    for _ in 0..<(4 * P + 50) {
      // w = A residual: how much each row would lower ‖residual‖.
      var best = -1
      var bestValue = tolerance
      for i in 0..<N where !isFree[i] && !passedOver[i] {
        var w = 0.0
        for j in 0..<P { w += a[i * P + j] * residual[j] }
        if w > bestValue {
          bestValue = w
          best = i
        }
      }
      guard best >= 0 else { return lambda }
      free.append(best)
      isFree[best] = true

      var settled = false
      for inner in 0..<(2 * P + 10) {
        guard let s = leastSquares(a, rows: free, width: P, target: t) else { return nil }
        if s.allSatisfy({ $0 > 0 }) {
          for (index, i) in free.enumerated() { lambda[i] = s[index] }
          settled = true
          break
        }
        if inner == 0, let last = s.last, last <= 0 {
          // The new row does not help after all: undo and pass over it.
          free.removeLast()
          isFree[best] = false
          passedOver[best] = true
          settled = true
          break
        }
        // Step from λ towards s until the first free λ reaches 0; that one,
        // and any other at 0, is fixed at the boundary again.
        var alpha = 1.0
        var blocking = free[0]
        for (index, i) in free.enumerated() where s[index] <= 0 {
          let gap = lambda[i] - s[index]
          let reach = gap > 0 ? lambda[i] / gap : 0
          if reach <= alpha {
            alpha = reach
            blocking = i
          }
        }
        for (index, i) in free.enumerated() {
          lambda[i] += alpha * (s[index] - lambda[i])
        }
        lambda[blocking] = 0
        free.removeAll { i in
          guard lambda[i] <= 0 else { return false }
          lambda[i] = 0
          isFree[i] = false
          return true
        }
      }
      guard settled else { return nil }
      if !passedOver[best] { passedOver = [Bool](repeating: false, count: N) }

      residual = t
      for i in free {
        for j in 0..<P { residual[j] -= lambda[i] * a[i * P + j] }
      }
    }
    return nil
  }

  /// argmin_s ‖Σ_q s_q a_{rows[q]} − t‖ by the normal equations.
  private static func leastSquares(
    _ a: [Double], rows: [Int], width P: Int, target t: [Double]
  ) -> [Double]? {
    let q = rows.count
    var gram = [Double](repeating: 0, count: q * q)
    var right = [Double](repeating: 0, count: q)
    for (u, i) in rows.enumerated() {
      for j in 0..<P { right[u] += a[i * P + j] * t[j] }
      for (v, k) in rows.enumerated() where v >= u {
        var dot = 0.0
        for j in 0..<P { dot += a[i * P + j] * a[k * P + j] }
        gram[u * q + v] = dot
        gram[v * q + u] = dot
      }
    }
    return NewtonSolver.solve(hessian: gram, gradient: right)
  }
}

/// One run's watch for separable data: the proof before training where it is
/// affordable, else the certificate after every epoch.
struct SeparabilityWatch {
  private let isWatched: Bool
  private let proofBudget: Double
  private var verdict: Separability.Verdict?

  init(plan: Plan, proofBudget: Double = Separability.proofBudget) {
    isWatched = Separability.isWatched(plan)
    self.proofBudget = proofBudget
  }

  /// Whether training should stop because the data are separable; called
  /// after each epoch. The proof is made at the first call, so the run has
  /// trained one epoch when it stops on it.
  mutating func detects<S: Scalar>(_ network: Network<S>, train: Examples<S>) -> Bool {
    guard isWatched else { return false }
    let verdict =
      self.verdict ?? Separability.verdict(network.plan, train: train, budget: proofBudget)
    self.verdict = verdict
    switch verdict {
    case .separable: return true
    case .overlapping: return false
    case .undecided: return network.separatesEveryExample(train)
    }
  }
}

extension Network {
  /// Whether every example's margin is positive at the current θ, which
  /// proves the data separable (see `Separability`). Runs the forward pass
  /// over `examples` in evaluation batches, reading rows in place.
  func separatesEveryExample(_ examples: Examples<S>) -> Bool {
    guard plan.objective != .quadratic else { return false }
    let rows = plan.evaluationBatchSize
    let width = examples.width
    let K = plan.outputWidth
    return examples.features.withUnsafeBufferPointer { features in
      examples.labels.withUnsafeBufferPointer { labels in
        var start = 0
        while start < examples.count {
          let n = min(rows, examples.count - start)
          // The output is fused with its loss, so the forward pass stops at Z.
          forward(input: features.baseAddress! + start * width, rows: n)
          let z = UnsafePointer(outputs)
          for row in 0..<n {
            let y = Int(labels[start + row])
            let logits = z + row * K
            if K == 1 {
              guard (y == 0 ? -logits[0] : logits[0]) > 0 else { return false }
            } else {
              for k in 0..<K where k != y {
                guard logits[y] > logits[k] else { return false }
              }
            }
          }
          start += n
        }
        return examples.count > 0
      }
    }
  }
}
