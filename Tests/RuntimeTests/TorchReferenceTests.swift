import Planner
import SpecParser
import TestSupport
import Testing

@testable import Runtime

/// A 6 → 5 tanh → 4 relu → 3 softmax network, starting from weights that
/// PyTorch saved (reference/torch_reference.py), compared in float32.
struct TorchCase {
  let fixture: JSONFixture
  let plan: Plan
  let network: Network<Float>
  let x: [Float]
  let labels: [Int32]

  /// `batch`: rows per step; 32 takes the whole set at once.
  init(batch: Int = 8) throws {
    fixture = try JSONFixture("Tests/RuntimeTests/Fixtures/reference/torch-mlp.json")
    x = try fixture.doubles("x").map(Float.init)
    labels = try fixture.ints("labels").map(Int32.init)
    let spec = Spec(
      file: "torch-mlp", name: "torch-mlp", seed: 0, precision: .float32, threads: 1,
      data: DataSpec(train: .csv(path: "unused.csv")),
      model: ModelSpec(layers: [
        LayerSpec(units: 5, activation: .tanh), LayerSpec(units: 4, activation: .relu),
        LayerSpec(units: 3, activation: .softmax),
      ]),
      loss: .nll, regularization: RegularizationSpec(l2: try fixture.double("l2")),
      optimizer: OptimizerSpec(
        kind: .sgd, learningRate: try fixture.double("learning_rate"),
        momentum: try fixture.double("momentum"), batchSize: .examples(batch)),
      training: TrainingSpec(epochs: 1), locations: [:])
    plan = try Planner.plan(
      spec,
      shape: DataShape(
        trainCount: labels.count, testCount: nil, featureNames: (0..<6).map { "x\($0)" },
        task: .classification(classes: ["0", "1", "2"])))
    network = Network(plan: plan, arena: Arena(plan: plan))
    _ = try Safetensors.load(
      repositoryPath("Tests/RuntimeTests/Fixtures/reference/torch-mlp.safetensors"),
      into: network.arena.parameters, layout: plan.parameters)
  }

  /// The flat θ layout of a per-tensor fixture object.
  func flattened(_ key: String) throws -> [Double] {
    guard let tensors = fixture.values[key] as? [String: [Double]] else {
      throw FixtureError.missing(key)
    }
    var flat: [Double] = []
    for block in plan.parameters.blocks {
      guard let values = tensors[block.name] else { throw FixtureError.missing(block.name) }
      flat += values
    }
    return flat
  }

  func gradient(rows: Range<Int>) -> LossSums {
    x.withUnsafeBufferPointer { x in
      labels.withUnsafeBufferPointer { labels in
        network.computeGradient(
          input: x.baseAddress! + rows.lowerBound * 6, rows: rows.count,
          labels: labels.baseAddress! + rows.lowerBound, targets: nil)
      }
    }
  }
}

@Test func weightsLoadFromPyTorchsFile() throws {
  let reference = try TorchCase()
  let theta = reference.network.arena.parameters.map(Double.init)
  // The fixture holds float32 values printed in full; JSON parsing may be off
  // in the last bit of the Double, far below one float32 ulp.
  #expect(worstRelativeError(theta, try reference.flattened("parameters")) < 1e-12)
}

@Test func lossAndGradientsMatchPyTorch() throws {
  let reference = try TorchCase(batch: 32)
  let sums = reference.gradient(rows: 0..<32)
  reference.network.addL2Gradient()
  let loss = sums.loss / 32 + reference.network.l2Penalty()
  #expect(isClose(loss, try reference.fixture.double("loss_value"), relative: 1e-6))
  let gradient = reference.network.arena.gradient.map(Double.init)
  let expected = try reference.flattened("gradients")
  #expect(worstRelativeError(gradient, expected, floor: 1e-3) < 1e-5)
}

@Test func tenMomentumStepsMatchPyTorch() throws {
  let reference = try TorchCase()
  var optimizer = Optimizer<Float>(plan: reference.plan)
  let steps = Int(try reference.fixture.double("steps"))
  for step in 0..<steps {
    let start = (8 * step) % 32
    reference.gradient(rows: start..<start + 8)
    optimizer.update(reference.network.arena, learningRate: reference.plan.optimizer.learningRate)
  }
  let theta = reference.network.arena.parameters.map(Double.init)
  let expected = try reference.flattened("parameters_after_steps")
  #expect(worstRelativeError(theta, expected, floor: 1e-2) < 1e-5)
}
