import Foundation
import Planner
import SpecParser
import TestSupport
import Testing

@testable import Runtime

/// One configuration of `optimizers-torch.json` (reference/optimizer_reference.py):
/// a 3 → 4 tanh → 3 softmax network taking six full-batch steps with
/// torch.optim and a torch.optim.lr_scheduler, in float64.
struct TorchOptimizerCase: CustomTestStringConvertible, Sendable {
  var index: Int
  var name: String
  var testDescription: String { name }

  static let path = "Tests/RuntimeTests/Fixtures/reference/optimizers-torch.json"

  static let all: [TorchOptimizerCase] = {
    guard let fixture = try? JSONFixture(path), let cases = try? fixture.objects("cases") else {
      return []
    }
    return cases.enumerated().map {
      TorchOptimizerCase(index: $0.offset, name: ($0.element["name"] as? String) ?? "?")
    }
  }()

  /// The case's settings as nnc's spec values.
  func optimizer(from settings: [String: Any], schedule: [String: Any]) -> OptimizerSpec {
    func number(_ key: String, _ fallback: Double) -> Double {
      (settings[key] as? NSNumber)?.doubleValue ?? fallback
    }
    func parameter(_ key: String) -> Double { (schedule[key] as? NSNumber)?.doubleValue ?? 0 }
    let kind = OptimizerKind(rawValue: (settings["kind"] as? String) ?? "") ?? .sgd
    let scheduleValue: Schedule
    switch schedule["kind"] as? String {
    case "inverse": scheduleValue = .inverse(gamma: parameter("gamma"), power: parameter("power"))
    case "step": scheduleValue = .step(every: Int(parameter("every")), factor: parameter("factor"))
    case "exponential": scheduleValue = .exponential(gamma: parameter("gamma"))
    default: scheduleValue = .constant
    }
    return OptimizerSpec(
      kind: kind, learningRate: number("learning_rate", 0), momentum: number("momentum", 0),
      nesterov: (settings["nesterov"] as? Bool) ?? false, beta1: number("beta1", 0.9),
      beta2: number("beta2", 0.999), epsilon: number("epsilon", 1e-8), batchSize: .full,
      schedule: scheduleValue)
  }

  /// Trains the case in precision `S` from PyTorch's initial parameters;
  /// returns the outcome, θ after each epoch, and the expected values.
  func train<S: Scalar>(_: S.Type) throws -> (
    outcome: TrainingOutcome, after: [[Double]], expected: [[Double]], rates: [Double],
    losses: [Double]
  ) {
    let fixture = try JSONFixture(Self.path)
    let item = try fixture.objects("cases")[index]
    let settings = try #require(item["optimizer"] as? [String: Any])
    let schedule = try #require(item["schedule"] as? [String: Any])
    let labels = try fixture.ints("labels")
    let plan = try syntheticPlan(
      inputs: 3, task: .classification(classes: ["0", "1", "2"]), rows: labels.count,
      layers: [LayerSpec(units: 4, activation: .tanh), LayerSpec(units: 3, activation: .softmax)],
      loss: .nll, l2: try fixture.double("l2"),
      optimizer: optimizer(from: settings, schedule: schedule),
      training: TrainingSpec(epochs: 6), precision: S.self == Float.self ? .float32 : .float64)
    let trainer = Trainer(
      plan: plan,
      data: LoadedData(
        train: examples(try fixture.doubles("x"), width: 3, labels: labels, as: S.self),
        test: nil, preprocessing: Preprocessing()))

    func flattened(_ tensors: [String: Any]) throws -> [Double] {
      try plan.parameters.blocks.flatMap { block in
        try #require((tensors[block.name] as? [NSNumber])?.map(\.doubleValue))
      }
    }
    let initial = try flattened(try #require(fixture.values["parameters"] as? [String: Any]))
    for (i, value) in initial.enumerated() { trainer.network.arena.parameters[i] = S(value) }
    var after: [[Double]] = []
    let outcome = trainer.run { _ in
      after.append(trainer.network.arena.parameters.map(Double.init))
    }
    let expected = try #require(item["parameters_after_epochs"] as? [[String: Any]]).map {
      try flattened($0)
    }
    let rates = try #require(item["learning_rates"] as? [NSNumber]).map(\.doubleValue)
    let losses = try #require(item["losses"] as? [NSNumber]).map(\.doubleValue)
    return (outcome, after, expected, rates, losses)
  }
}

@Suite("Optimizers and schedules against torch.optim")
struct OptimizerTorchTests {
  @Test func everyCaseIsRead() {
    #expect(TorchOptimizerCase.all.count == 5)
  }

  @Test("six full-batch epochs match PyTorch in float64", arguments: TorchOptimizerCase.all)
  func double(_ c: TorchOptimizerCase) throws {
    let run = try c.train(Double.self)
    #expect(run.outcome.stopReason == .epochLimit)
    #expect(run.after.count == 6)
    for (epoch, (theta, expected)) in zip(run.after, run.expected).enumerated() {
      #expect(worstRelativeError(theta, expected, floor: 1e-6) < 1e-11, "epoch \(epoch + 1)")
    }
    let rates = run.outcome.history.map(\.learningRate)
    #expect(worstRelativeError(rates, run.rates) < 1e-15)
    let losses = run.outcome.history.map(\.trainLoss)
    #expect(worstRelativeError(losses, run.losses) < 1e-12)
  }

  @Test("six full-batch epochs match PyTorch in float32", arguments: TorchOptimizerCase.all)
  func float(_ c: TorchOptimizerCase) throws {
    let run = try c.train(Float.self)
    let theta = try #require(run.after.last)
    let expected = try #require(run.expected.last)
    #expect(worstRelativeError(theta, expected, floor: 1e-2) < 1e-5)
  }
}

/// One weight w, one row x = 1 with target 0, quadratic loss: J = ½w², so
/// the gradient is w itself and every update can be followed by hand.
@Suite("Update rules on J = ½w², by hand")
struct OptimizerHandTests {
  func weights(after epochs: Int, _ optimizer: OptimizerSpec) throws -> [Double] {
    let plan = try syntheticPlan(
      inputs: 1, task: .regression(targets: ["t"]), rows: 1,
      layers: [LayerSpec(units: 1, activation: .identity, bias: false)], loss: .quadratic,
      optimizer: optimizer, training: TrainingSpec(epochs: epochs))
    let trainer = Trainer(
      plan: plan,
      data: LoadedData(
        train: examples([1], width: 1, targets: [0], as: Double.self), test: nil,
        preprocessing: Preprocessing()))
    trainer.network.arena.parameters[0] = 1
    var after: [Double] = []
    _ = trainer.run { _ in after.append(trainer.network.arena.parameters[0]) }
    return after
  }

  @Test func plainGradientDescent() throws {
    // w ← w − 0.1 w: 0.9, 0.81.
    let w = try weights(after: 2, OptimizerSpec(kind: .sgd, learningRate: 0.1))
    #expect(isClose(w[0], 0.9, relative: 1e-15) && isClose(w[1], 0.81, relative: 1e-15))
  }

  @Test func momentum() throws {
    // v₁ = g₀ = 1, w₁ = 1 − 0.1 = 0.9; v₂ = 0.9 · 1 + 0.9 = 1.8, w₂ = 0.9 − 0.18 = 0.72.
    let w = try weights(after: 2, OptimizerSpec(kind: .sgd, learningRate: 0.1, momentum: 0.9))
    #expect(isClose(w[0], 0.9, relative: 1e-15) && isClose(w[1], 0.72, relative: 1e-15))
  }

  @Test func nesterovMomentum() throws {
    // v₁ = 1, w₁ = 1 − 0.1 (1 + 0.9 · 1) = 0.81;
    // v₂ = 0.9 + 0.81 = 1.71, w₂ = 0.81 − 0.1 (0.81 + 0.9 · 1.71) = 0.5751.
    let w = try weights(
      after: 2, OptimizerSpec(kind: .sgd, learningRate: 0.1, momentum: 0.9, nesterov: true))
    #expect(isClose(w[0], 0.81, relative: 1e-15) && isClose(w[1], 0.5751, relative: 1e-14))
  }

  @Test func adam() throws {
    // t = 1: m = 0.1, v = 0.001, m̂ = 1, v̂ = 1, w₁ = 1 − 0.1/(1 + 1e-8) = 0.900000001.
    // t = 2: g = w₁, m = 0.09 + 0.1 g, v = 0.999e-3 + 1e-3 g²,
    //   m̂ = m/0.19, v̂ = v/0.001999, w₂ = w₁ − 0.1 m̂/(√v̂ + 1e-8) = 0.80041222971…
    let w = try weights(after: 2, OptimizerSpec(kind: .adam, learningRate: 0.1))
    #expect(isClose(w[0], 0.900000001, relative: 1e-14))
    #expect(isClose(w[1], 0.8004122297123382, relative: 1e-13))
  }

  @Test func lTwoTouchesTheWeightNotTheBias() throws {
    // h = w + b = 2 for x = 1, t = 0: ∂J/∂w = ∂J/∂b = 2. With λ = 0.5 and
    // η = 0.1: w ← 1 − 0.1 (2 + 0.5 · 1) = 0.75, b ← 1 − 0.1 · 2 = 0.8.
    let plan = try syntheticPlan(
      inputs: 1, task: .regression(targets: ["t"]), rows: 1,
      layers: [LayerSpec(units: 1, activation: .identity)], loss: .quadratic, l2: 0.5,
      optimizer: OptimizerSpec(kind: .sgd, learningRate: 0.1), training: TrainingSpec(epochs: 1))
    let trainer = Trainer(
      plan: plan,
      data: LoadedData(
        train: examples([1], width: 1, targets: [0], as: Double.self), test: nil,
        preprocessing: Preprocessing()))
    trainer.network.arena.parameters[0] = 1
    trainer.network.arena.parameters[1] = 1
    _ = trainer.run()
    #expect(isClose(trainer.network.arena.parameters[0], 0.75, relative: 1e-15))
    #expect(isClose(trainer.network.arena.parameters[1], 0.8, relative: 1e-15))
  }
}
