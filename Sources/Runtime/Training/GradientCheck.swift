import Planner
import SpecParser

/// The worst disagreement between backprop and finite differences in one
/// parameter block.
public struct BlockCheck: Sendable, Equatable {
  public var name: String
  public var layer: Int
  public var worstRelativeError: Double
  /// Entries compared; entries whose ±h evaluations put a ReLU on different
  /// sides of its kink are skipped, since no derivative exists there.
  public var compared: Int
  public var skippedAtKinks: Int
}

extension Network where S == Double {
  /// Compares ∂J/∂θ from backprop with central differences
  /// (J(θ + h eᵢ) − J(θ − h eᵢ)) / 2h, where J = mean loss over the rows +
  /// λ/2‖w‖² is the objective being trained.
  ///
  /// The relative error of an entry is |g − d| / max(|g|, |d|, 1% of the
  /// block's largest gradient): entries far below the block's scale are
  /// measured against that scale, so their floating-point noise (≈ ε·J/h)
  /// does not read as a failure. An entry that disagrees by more than 1e-7 is
  /// differenced again with h·10, h·100 and h/10 and keeps its smallest error:
  /// a large J (a quadratic loss on targets in the hundreds) needs a longer
  /// step to rise above its rounding, a curved one a shorter step, while a
  /// wrong gradient disagrees at every step.
  ///
  /// `entriesPerBlock` limits the entries checked in each block to that many,
  /// evenly spaced, for networks too large to difference every weight.
  public func checkGradient(
    input: UnsafePointer<Double>, rows: Int, labels: UnsafePointer<Int32>?,
    targets: UnsafePointer<Double>?, step h: Double = 1e-5, entriesPerBlock: Int = .max
  ) -> [BlockCheck] {
    let lambda = plan.optimizer.l2
    func objective() -> Double {
      forward(input: input, rows: rows)
      let sums = finishOutput(rows: rows, labels: labels, targets: targets, writeDeltas: false)
      // λ/2 Σ‖W‖², summed here in Double without the generic conversions of
      // `l2Penalty`, since it runs twice per checked entry.
      var squares = 0.0
      if lambda > 0 {
        for layer in plan.layers {
          let w = arena.pointer(layer.weight)
          for i in 0..<layer.weight.count { squares += w[i] * w[i] }
        }
      }
      return sums.loss / Double(rows) + lambda / 2 * squares
    }
    // Which ReLUs are on: the finite difference is meaningful only when the
    // pattern is the same on both sides of θᵢ. A ReLU output (quadratic loss)
    // has kinks as much as a hidden ReLU layer.
    func reluPattern() -> [Bool] {
      var pattern: [Bool] = []
      for layer in plan.layers where layer.activation == .relu {
        let a = arena.pointer(layer.activations)
        for i in 0..<rows * layer.outputs { pattern.append(a[i] > 0) }
      }
      return pattern
    }

    computeGradient(input: input, rows: rows, labels: labels, targets: targets)
    addL2Gradient()
    let analytic = Array(arena.gradient)
    let theta = arena.parameters

    /// (J(θ + h eᵢ) − J(θ − h eᵢ)) / 2h, or nil when a ReLU changes sides.
    func centralDifference(_ i: Int, step h: Double) -> Double? {
      let saved = theta[i]
      theta[i] = saved + h
      let plus = objective()
      let patternPlus = reluPattern()
      theta[i] = saved - h
      let minus = objective()
      let patternMinus = reluPattern()
      theta[i] = saved
      return patternPlus == patternMinus ? (plus - minus) / (2 * h) : nil
    }

    var results: [BlockCheck] = []
    for layer in plan.layers {
      for block in [layer.weight] + (layer.bias.map { [$0] } ?? []) {
        let range = block.offset..<block.offset + block.count
        let scale = range.map { abs(analytic[$0]) }.max() ?? 0
        func relativeError(_ i: Int, _ numeric: Double) -> Double {
          let denominator = max(
            abs(analytic[i]), abs(numeric), 0.01 * scale, .leastNormalMagnitude)
          return abs(analytic[i] - numeric) / denominator
        }
        var check = BlockCheck(
          name: block.name, layer: layer.index, worstRelativeError: 0, compared: 0,
          skippedAtKinks: 0)
        let limit = max(entriesPerBlock, 1)
        let stride = block.count <= limit ? 1 : (block.count + limit - 1) / limit
        for i in Swift.stride(from: range.lowerBound, to: range.upperBound, by: stride) {
          var error: Double?
          for step in [h, 10 * h, 100 * h, h / 10] {
            guard let numeric = centralDifference(i, step: step) else { continue }
            error = min(error ?? .infinity, relativeError(i, numeric))
            if let error, error <= 1e-7 { break }
          }
          guard let error else {
            check.skippedAtKinks += 1
            continue
          }
          check.worstRelativeError = max(check.worstRelativeError, error)
          check.compared += 1
        }
        results.append(check)
      }
    }
    return results
  }
}
