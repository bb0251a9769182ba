import COpenBLAS
import Planner

/// Newton's method for the convex single-layer models: logistic regression
/// (one sigmoid unit), softmax regression, and linear regression (identity
/// output with quadratic loss). All of its linear algebra is in Double,
/// whatever the plan's precision; θ is converted in and out.
///
/// Legend: n examples, m features, K outputs, x̃ = [x, 1] (the 1 only when
/// the layer has a bias), m̃ = m or m + 1, P = m̃ K parameters. θ's layout puts
/// W[j, k] at j K + k and b[k] at m K + k, so θ is indexed by (j, k) with the
/// bias as feature j = m, and the Hessian of J = (1/n) Σ ℓᵢ + λ/2 ‖W‖² is
///   H[(j,k), (j',k')] = (1/n) Σᵢ x̃ᵢⱼ x̃ᵢⱼ' cᵢ[k,k'] + λ [j = j' < m, k = k']
/// with the curvature of ℓ in the logits z:
///   softmax   c[k,k'] = p_k ([k = k'] − p_k')    (diag(p) − ppᵀ, the softmax Jacobian)
///   sigmoid   c       = p (1 − p)
///   quadratic c[k,k'] = [k = k']                  (identity output)
/// Each (k, k') block is one GEMM, X̃ᵀ diag(c[k,k']) X̃.
struct NewtonSolver {
  let n: Int
  let m: Int
  let K: Int
  let hasBias: Bool
  let objective: Objective
  let lambda: Double
  /// X̃: n × m̃, row-major, a copy of the training features in Double.
  /// The readers and the planner leave n ≥ 1 training rows and m ≥ 1
  /// features, so X̃, θ and the labels or targets are never empty and the
  /// `baseAddress!` on their buffers below cannot trap.
  private var design: [Double]
  /// The labels (classifiers) or n × K targets (regression).
  private let labels: [Int32]
  private let targets: [Double]

  var widthWithBias: Int { hasBias ? m + 1 : m }
  var parameterCount: Int { widthWithBias * K }

  init<S: Scalar>(plan: Plan, train: Examples<S>) {
    precondition(plan.layers.count == 1, "Newton's method needs a single-layer plan")
    let layer = plan.layers[0]
    n = train.count
    m = layer.inputs
    K = layer.outputs
    hasBias = layer.bias != nil
    objective = plan.objective
    lambda = plan.optimizer.l2
    labels = train.labels
    targets = train.targets.map(Double.init)
    let width = hasBias ? m + 1 : m
    var design = [Double](repeating: 1, count: n * width)
    for i in 0..<n {
      for j in 0..<m { design[i * width + j] = Double(train.features[i * m + j]) }
    }
    self.design = design
  }

  /// J(θ), the mean loss plus λ/2 ‖W‖², and the probabilities or outputs
  /// in `outputs` (n × K).
  func objectiveValue(_ theta: [Double], outputs: inout [Double]) -> Double {
    let width = widthWithBias
    // Z = X̃ Θ, with Θ the m̃ × K matrix that θ is, row-major.
    design.withUnsafeBufferPointer { x in
      theta.withUnsafeBufferPointer { t in
        outputs.withUnsafeMutableBufferPointer { z in
          Double.gemm(
            transposeA: false, transposeB: false, m: n, n: K, k: width, alpha: 1,
            a: x.baseAddress!, lda: width, b: t.baseAddress!, ldb: K, beta: 0,
            c: z.baseAddress!, ldc: K)
        }
      }
    }
    let sums = outputs.withUnsafeMutableBufferPointer { z in
      labels.withUnsafeBufferPointer { y in
        targets.withUnsafeBufferPointer { t in
          switch objective {
          case .softmaxCrossEntropy:
            return softmaxCrossEntropy(
              z.baseAddress!, rows: n, classes: K, labels: y.baseAddress!, delta: nil, scale: 1)
          case .sigmoidCrossEntropy:
            return sigmoidCrossEntropy(
              z.baseAddress!, rows: n, labels: y.baseAddress!, delta: nil, scale: 1)
          case .quadratic:
            return quadraticLoss(
              z.baseAddress!, rows: n, columns: K, activation: .identity,
              targets: t.baseAddress!, delta: nil, scale: 1)
          }
        }
      }
    }
    var penalty = 0.0
    for i in 0..<m * K { penalty += theta[i] * theta[i] }
    return sums.loss / Double(n) + lambda / 2 * penalty
  }

  /// ∇J at θ from the outputs `objectiveValue` left: (1/n) X̃ᵀ (H − Y) + λW.
  func gradient(_ theta: [Double], outputs: [Double]) -> [Double] {
    var residual = outputs
    for i in 0..<n {
      if objective == .quadratic {
        for k in 0..<K { residual[i * K + k] -= targets[i * K + k] }
      } else if K == 1 {
        residual[i] -= labels[i] == 0 ? 0 : 1
      } else {
        residual[i * K + Int(labels[i])] -= 1
      }
    }
    let width = widthWithBias
    var g = [Double](repeating: 0, count: parameterCount)
    design.withUnsafeBufferPointer { x in
      residual.withUnsafeBufferPointer { r in
        g.withUnsafeMutableBufferPointer { g in
          Double.gemm(
            transposeA: true, transposeB: false, m: width, n: K, k: n, alpha: 1 / Double(n),
            a: x.baseAddress!, lda: width, b: r.baseAddress!, ldb: K, beta: 0,
            c: g.baseAddress!, ldc: K)
        }
      }
    }
    for i in 0..<m * K { g[i] += lambda * theta[i] }
    return g
  }

  /// The P × P Hessian at the outputs `objectiveValue` left, column-major
  /// for LAPACK (it is symmetric, so row- and column-major agree). For
  /// softmax, `fixingGauge` adds the term that makes it positive definite
  /// without changing any Newton step (see below); without it the result is
  /// ∇²J itself.
  func hessian(outputs p: [Double], fixingGauge: Bool = true) -> [Double] {
    let width = widthWithBias
    let P = parameterCount
    var h = [Double](repeating: 0, count: P * P)
    var scaled = [Double](repeating: 0, count: n * width)
    var block = [Double](repeating: 0, count: width * width)
    for k in 0..<K {
      for k2 in k..<K {
        // c[k, k2] for each example.
        var any = false
        for i in 0..<n {
          let c: Double
          switch objective {
          case .softmaxCrossEntropy:
            c = p[i * K + k] * ((k == k2 ? 1 : 0) - p[i * K + k2])
          case .sigmoidCrossEntropy:
            c = p[i] * (1 - p[i])
          case .quadratic:
            c = k == k2 ? 1 : 0
          }
          any = any || c != 0
          for j in 0..<width { scaled[i * width + j] = c * design[i * width + j] }
        }
        guard any else { continue }
        // block = (1/n) X̃ᵀ diag(c) X̃, width × width.
        design.withUnsafeBufferPointer { x in
          scaled.withUnsafeBufferPointer { s in
            block.withUnsafeMutableBufferPointer { b in
              Double.gemm(
                transposeA: true, transposeB: false, m: width, n: width, k: n,
                alpha: 1 / Double(n), a: x.baseAddress!, lda: width, b: s.baseAddress!,
                ldb: width, beta: 0, c: b.baseAddress!, ldc: width)
            }
          }
        }
        for j in 0..<width {
          for j2 in 0..<width {
            let value = block[j * width + j2]
            h[(j * K + k) * P + (j2 * K + k2)] = value
            h[(j2 * K + k2) * P + (j * K + k)] = value
          }
        }
      }
    }
    for j in 0..<m {
      for k in 0..<K { h[(j * K + k) * P + (j * K + k)] += lambda }
    }
    if objective == .softmaxCrossEntropy, fixingGauge {
      // Softmax is unchanged when one constant is added to every class's
      // logit, so H is singular along each u_j = Σ_k e_(j,k) (for the bias
      // whenever it is unpenalized; for weights when λ = 0). The gradient has
      // no component along u_j while Σ_k θ(j,k) = 0, which the zero start
      // gives and each step keeps, so adding c u_j u_jᵀ/K changes no step and
      // makes H positive definite for Cholesky.
      var trace = 0.0
      for i in 0..<P { trace += h[i * P + i] }
      let c = max(trace / Double(P), 1e-12) / Double(K)
      for j in 0..<width {
        for k in 0..<K {
          for k2 in 0..<K { h[(j * K + k) * P + (j * K + k2)] += c }
        }
      }
    }
    return h
  }

  /// Solves H Δ = g by Cholesky (LAPACK dpotrf/dpotrs).
  ///
  /// H is singular when λ = 0 and the design has a direction it cannot see: a
  /// feature that standardization turned into a column of zeros, two equal
  /// columns, fewer rows than parameters. The gradient has no component there
  /// either, so the Newton step is still defined on the rest; dpotrf just
  /// cannot factor H. It is then retried as H + μI, μ from 1e-12 of H's mean
  /// diagonal up by factors of 100: on the directions H sees, a relative change
  /// of μ over their curvature; on the others, a step of 0, which is right.
  /// nil when even μ equal to the mean diagonal does not make H positive
  /// definite (a NaN in H).
  static func solve(hessian: [Double], gradient: [Double]) -> [Double]? {
    let count = gradient.count
    var trace = 0.0
    for i in 0..<count { trace += hessian[i * count + i] }
    let scale = trace > 0 ? trace / Double(count) : 1
    var n = Int32(count)
    var lda = n
    var ldb = n
    var nrhs: Int32 = 1
    var info: Int32 = 0
    var uplo = CChar(UInt8(ascii: "L"))
    for damping in [0, 1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2, 1] {
      var a = hessian
      for i in 0..<count { a[i * count + i] += damping * scale }
      dpotrf_(&uplo, &n, &a, &lda, &info)
      guard info == 0 else { continue }
      var b = gradient
      dpotrs_(&uplo, &n, &nrhs, &a, &lda, &b, &ldb, &info)
      return info == 0 && b.allSatisfy(\.isFinite) ? b : nil
    }
    return nil
  }
}
