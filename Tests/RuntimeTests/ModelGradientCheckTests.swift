import Foundation
import Planner
import SpecParser
import TestSupport
import Testing

@testable import Runtime

/// The gradient check at a ReLU kink and the logistic loss where the sigmoid
/// saturates: the two places a naive implementation reports nonsense.
@Suite("Kinks and saturation")
struct ModelGradientCheckTests {
  /// A network on one input for one regression target.
  func network(layers: [LayerSpec]) throws -> Network<Double> {
    let plan = try syntheticPlan(
      inputs: 1, task: .regression(targets: ["t"]), rows: 1, layers: layers, loss: .quadratic,
      optimizer: OptimizerSpec(kind: .sgd, learningRate: 0.1), training: TrainingSpec(epochs: 1))
    return Network(plan: plan, arena: Arena(plan: plan))
  }

  @Test("a hidden ReLU exactly at its kink is skipped, not failed")
  func hiddenKink() throws {
    // z₁ = 0.5 · 1 − 0.5 = 0: ±h on w₁ or b₁ switches the unit on and off,
    // and the central difference would be half the one-sided slope.
    let net = try network(layers: [
      LayerSpec(units: 1, activation: .relu), LayerSpec(units: 1, activation: .identity),
    ])
    for (i, value) in [0.5, -0.5, 2, 0.25].enumerated() { net.arena.parameters[i] = value }
    let checks = [1.0].withUnsafeBufferPointer { x in
      [3.0].withUnsafeBufferPointer { t in
        net.checkGradient(
          input: x.baseAddress!, rows: 1, labels: nil, targets: t.baseAddress!)
      }
    }
    #expect(checks.map(\.skippedAtKinks) == [1, 1, 0, 0])
    #expect(checks.allSatisfy { $0.worstRelativeError < 1e-9 })
  }

  @Test("a ReLU output exactly at its kink is skipped, not failed")
  func outputKink() throws {
    let net = try network(layers: [LayerSpec(units: 1, activation: .relu)])
    net.arena.parameters[0] = 0.5
    net.arena.parameters[1] = -0.5
    let checks = [1.0].withUnsafeBufferPointer { x in
      [3.0].withUnsafeBufferPointer { t in
        net.checkGradient(
          input: x.baseAddress!, rows: 1, labels: nil, targets: t.baseAddress!)
      }
    }
    #expect(checks.map(\.skippedAtKinks) == [1, 1])
    #expect(checks.allSatisfy { $0.worstRelativeError == 0 })
  }

  @Test("the logistic loss stays exact far into saturation", arguments: [false, true])
  func saturatedLogisticLoss(float: Bool) {
    // ℓ = max(z, 0) − z y + log(1 + e^(−|z|)): at z = ±80 (Float) or ±700
    // (Double) with the wrong label it is |z| plus a term below an ulp, with
    // the right label e^(−|z|) to first order; p − y stays finite.
    let z = float ? 80.0 : 700.0
    let logits = [z, -z, z, -z]
    let labels: [Int32] = [0, 1, 1, 0]
    let expected = [z, z, exp(-z), exp(-z)]
    for row in 0..<4 {
      let (loss, delta) =
        float
        ? lossAndDelta(Float(logits[row]), label: labels[row])
        : lossAndDelta(logits[row], label: labels[row])
      #expect(loss.isFinite && delta.isFinite)
      if row < 2 {
        #expect(isClose(loss, expected[row], relative: 1e-15))
        #expect(abs(delta) == 1)
      } else {
        #expect(isClose(loss, expected[row], relative: 1e-6))
      }
    }
  }

  func lossAndDelta<S: Scalar>(_ z: S, label: Int32) -> (Double, Double) {
    var h = [z]
    var delta: [S] = [0]
    let labels = [label]
    let sums = h.withUnsafeMutableBufferPointer { h in
      delta.withUnsafeMutableBufferPointer { d in
        labels.withUnsafeBufferPointer { y in
          sigmoidCrossEntropy(
            h.baseAddress!, rows: 1, labels: y.baseAddress!, delta: d.baseAddress!, scale: 1)
        }
      }
    }
    return (sums.loss, Double(delta[0]))
  }
}
