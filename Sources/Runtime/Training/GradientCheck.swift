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
  /// (J(θ + h eᵢ) − J(θ − h eᵢ)) / 2h for every parameter, where
  /// J = mean loss over the rows + λ/2‖w‖² is the objective being trained.
  ///
  /// The relative error of an entry is |g − d| / max(|g|, |d|, 1% of the
  /// block's largest gradient): entries far below the block's scale are
  /// measured against that scale, so their floating-point noise (≈ ε·J/h)
  /// does not read as a failure.
  public func checkGradient(
    input: UnsafePointer<Double>, rows: Int, labels: UnsafePointer<Int32>?,
    targets: UnsafePointer<Double>?, step h: Double = 1e-5
  ) -> [BlockCheck] {
    func objective() -> Double {
      forward(input: input, rows: rows)
      let sums = finishOutput(rows: rows, labels: labels, targets: targets, writeDeltas: false)
      return sums.loss / Double(rows) + l2Penalty()
    }
    // Which ReLUs are on: the finite difference is meaningful only when the
    // pattern is the same on both sides of θᵢ.
    func reluPattern() -> [Bool] {
      var pattern: [Bool] = []
      for layer in plan.layers.dropLast() where layer.activation == .relu {
        let a = arena.pointer(layer.activations)
        for i in 0..<rows * layer.outputs { pattern.append(a[i] > 0) }
      }
      return pattern
    }

    computeGradient(input: input, rows: rows, labels: labels, targets: targets)
    addL2Gradient()
    let analytic = Array(arena.gradient)
    let theta = arena.parameters

    var results: [BlockCheck] = []
    for layer in plan.layers {
      for block in [layer.weight] + (layer.bias.map { [$0] } ?? []) {
        let range = block.offset..<block.offset + block.count
        let scale = range.map { abs(analytic[$0]) }.max() ?? 0
        var check = BlockCheck(
          name: block.name, layer: layer.index, worstRelativeError: 0, compared: 0,
          skippedAtKinks: 0)
        for i in range {
          let saved = theta[i]
          theta[i] = saved + h
          let plus = objective()
          let patternPlus = reluPattern()
          theta[i] = saved - h
          let minus = objective()
          let patternMinus = reluPattern()
          theta[i] = saved
          if patternPlus != patternMinus {
            check.skippedAtKinks += 1
            continue
          }
          let numeric = (plus - minus) / (2 * h)
          let denominator = max(abs(analytic[i]), abs(numeric), 0.01 * scale, .leastNormalMagnitude)
          check.worstRelativeError = max(
            check.worstRelativeError, abs(analytic[i] - numeric) / denominator)
          check.compared += 1
        }
        results.append(check)
      }
    }
    return results
  }
}
