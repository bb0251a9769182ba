import Planner
import SpecParser
import TestSupport
import Testing

@testable import Runtime

/// A hidden activation, an output activation with its loss, and bias on or off.
struct GradientCase: CustomTestStringConvertible, Sendable {
  var hidden: Activation
  var output: Activation
  var loss: LossKind
  var bias: Bool
  var testDescription: String {
    "\(hidden.rawValue) → \(output.rawValue)/\(loss.rawValue)\(bias ? "" : " no bias")"
  }
}

let gradientCases: [GradientCase] = {
  var cases: [GradientCase] = []
  let outputs: [(Activation, LossKind)] = [
    (.softmax, .nll), (.sigmoid, .nll), (.identity, .quadratic), (.sigmoid, .quadratic),
    (.tanh, .quadratic),
  ]
  for hidden in [Activation.identity, .sigmoid, .tanh, .relu] {
    for (output, loss) in outputs {
      for bias in [true, false] {
        cases.append(GradientCase(hidden: hidden, output: output, loss: loss, bias: bias))
      }
    }
  }
  return cases
}()

@Test("backprop agrees with central finite differences", arguments: gradientCases)
func backpropMatchesFiniteDifferences(_ c: GradientCase) throws {
  let rows = 7
  let inputs = 5
  let units = c.output == .softmax ? 3 : (c.loss == .nll ? 1 : 2)
  let task: Task =
    c.loss == .nll
    ? .classification(classes: (0..<max(units, 2)).map(String.init))
    : .regression(targets: (0..<units).map { "y\($0)" })
  let spec = Spec(
    file: "check", name: "check", seed: 0, precision: .float64, threads: 1,
    data: DataSpec(train: .csv(path: "unused.csv")),
    model: ModelSpec(layers: [
      LayerSpec(units: 4, activation: c.hidden, bias: c.bias),
      LayerSpec(units: 3, activation: c.hidden, bias: c.bias),
      LayerSpec(units: units, activation: c.output, bias: c.bias),
    ]),
    loss: c.loss, regularization: RegularizationSpec(l2: 0.03),
    optimizer: OptimizerSpec(kind: .sgd, learningRate: 0.1), training: TrainingSpec(epochs: 1),
    locations: [:])
  let plan = try Planner.plan(
    spec,
    shape: DataShape(
      trainCount: rows, testCount: nil, featureNames: (0..<inputs).map { "x\($0)" },
      task: task))
  let network = Network<Double>(plan: plan, arena: Arena(plan: plan))
  var random = RandomStream(seed: 11, stream: c.testDescription)
  for i in 0..<plan.parameters.count {
    network.arena.parameters[i] = 2 * random.nextUnit() - 1
  }
  let x = (0..<rows * inputs).map { _ in 4 * random.nextUnit() - 2 }
  let labels = (0..<rows).map { Int32($0 % max(units, 2)) }
  let targets = (0..<rows * units).map { _ in random.nextUnit() }

  let checks = x.withUnsafeBufferPointer { x in
    labels.withUnsafeBufferPointer { labels in
      targets.withUnsafeBufferPointer { targets in
        network.checkGradient(
          input: x.baseAddress!, rows: rows,
          labels: c.loss == .nll ? labels.baseAddress : nil,
          targets: c.loss == .quadratic ? targets.baseAddress : nil)
      }
    }
  }
  #expect(checks.count == (c.bias ? 6 : 3))
  for check in checks {
    #expect(check.worstRelativeError < 1e-6, "\(check.name): \(check.worstRelativeError)")
    #expect(check.compared > 0)
  }
}
