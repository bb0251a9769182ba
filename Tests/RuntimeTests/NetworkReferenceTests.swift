import Planner
import SpecParser
import TestSupport
import Testing

@testable import Runtime

/// A tiny network from a numpy fixture (reference/runtime_fixtures.py), with its
/// batch, compiled through the real planner.
struct ReferenceCase {
  let fixture: JSONFixture
  let plan: Plan
  let x: [Double]
  let labels: [Int32]
  let targets: [Double]

  init(_ name: String) throws {
    fixture = try JSONFixture("Tests/RuntimeTests/Fixtures/reference/\(name).json")
    let layers = try fixture.objects("layers").map {
      LayerSpec(
        units: ($0["outputs"] as? Int) ?? 0,
        activation: Activation(rawValue: ($0["activation"] as? String) ?? "") ?? .identity,
        bias: ($0["bias"] as? Bool) ?? true)
    }
    let inputs = (try fixture.objects("layers")[0]["inputs"] as? Int) ?? 0
    let loss = LossKind(rawValue: try fixture.string("loss")) ?? .nll
    x = try fixture.doubles("x")
    let rows = x.count / inputs
    let task: Task
    if loss == .nll {
      labels = try fixture.ints("labels").map { Int32($0) }
      targets = []
      let classes = max(layers.last!.units, 2)
      task = .classification(classes: (0..<classes).map(String.init))
    } else {
      labels = []
      targets = try fixture.doubles("targets")
      task = .regression(targets: (0..<layers.last!.units).map { "y\($0)" })
    }
    let spec = Spec(
      file: name, name: name, seed: 0, precision: .float64, threads: 1,
      data: DataSpec(train: .csv(path: "unused.csv")), model: ModelSpec(layers: layers),
      loss: loss, regularization: RegularizationSpec(l2: try fixture.double("l2")),
      optimizer: OptimizerSpec(
        kind: .sgd, learningRate: try fixture.double("learning_rate"), batchSize: .full),
      training: TrainingSpec(epochs: 1), locations: [:])
    let shape = DataShape(
      trainCount: rows, testCount: nil,
      featureNames: (0..<inputs).map { "x\($0)" }, task: task)
    plan = try Planner.plan(spec, shape: shape)
  }

  /// A network in precision `S` holding the fixture's parameters.
  func network<S: Scalar>(_: S.Type) throws -> Network<S> {
    let network = Network<S>(plan: plan, arena: Arena<S>(plan: plan))
    let theta = try fixture.doubles("parameters")
    #expect(theta.count == plan.parameters.count)
    for (i, value) in theta.enumerated() { network.arena.parameters[i] = S(value) }
    return network
  }

  /// Forward, loss and backward on the fixture batch; returns the objective
  /// (mean loss + λ/2‖w‖²) and leaves the full gradient in the arena.
  func objectiveAndGradient<S: Scalar>(_ network: Network<S>) -> Double {
    let input = x.map { S($0) }
    let y = targets.map { S($0) }
    let rows = labels.isEmpty ? targets.count / plan.outputWidth : labels.count
    let sums = input.withUnsafeBufferPointer { input in
      labels.withUnsafeBufferPointer { labels in
        y.withUnsafeBufferPointer { y in
          network.computeGradient(
            input: input.baseAddress!, rows: rows,
            labels: labels.isEmpty ? nil : labels.baseAddress,
            targets: y.isEmpty ? nil : y.baseAddress)
        }
      }
    }
    network.addL2Gradient()
    return sums.loss / Double(rows) + network.l2Penalty()
  }
}

let referenceCases = ["mlp-relu-softmax", "mlp-tanh-sigmoid", "mlp-sigmoid-identity", "mlp-nobias"]

@Test("forward outputs, loss and gradient match numpy in float64", arguments: referenceCases)
func matchesNumpyInDouble(_ name: String) throws {
  let reference = try ReferenceCase(name)
  let network = try reference.network(Double.self)
  let objective = reference.objectiveAndGradient(network)

  let expectedOutput = try reference.fixture.doubles("output")
  let output = (0..<expectedOutput.count).map { network.outputs[$0] }
  #expect(worstRelativeError(output, expectedOutput) < 1e-12)
  #expect(isClose(objective, try reference.fixture.double("loss_value"), relative: 1e-12))
  let gradient = Array(network.arena.gradient)
  #expect(
    worstRelativeError(gradient, try reference.fixture.doubles("gradient"), floor: 1e-9) < 1e-10)
}

@Test("forward outputs and loss match numpy in float32", arguments: referenceCases)
func matchesNumpyInFloat(_ name: String) throws {
  let reference = try ReferenceCase(name)
  let network = try reference.network(Float.self)
  let objective = reference.objectiveAndGradient(network)
  #expect(isClose(objective, try reference.fixture.double("loss_value"), relative: 1e-5))
  let gradient = network.arena.gradient.map(Double.init)
  #expect(
    worstRelativeError(gradient, try reference.fixture.doubles("gradient"), floor: 1e-4) < 1e-4)
}

@Test("one SGD step matches numpy", arguments: referenceCases)
func oneStepMatchesNumpy(_ name: String) throws {
  let reference = try ReferenceCase(name)
  let network = try reference.network(Double.self)
  // The optimizer adds λw itself, so it is handed the data gradient alone.
  _ = reference.objectiveAndGradient(network)
  let lambda = reference.plan.optimizer.l2
  for layer in reference.plan.layers {
    let w = network.arena.pointer(layer.weight)
    let g = network.arena.gradientPointer(layer.weight)
    for i in 0..<layer.weight.count { g[i] -= lambda * w[i] }
  }
  var optimizer = Optimizer<Double>(plan: reference.plan)
  optimizer.update(network.arena, learningRate: reference.plan.optimizer.learningRate)
  let after = Array(network.arena.parameters)
  #expect(worstRelativeError(after, try reference.fixture.doubles("parameters_after_step")) < 1e-12)
}
