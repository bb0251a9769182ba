import Foundation
import Planner
import SpecParser
import TestSupport
import Testing

@testable import Runtime

/// J = ½ mean over rows of (w − tᵢ)² for one weight w (no bias), x = 1.
func quadraticTrainer(
  targets: [Double], learningRate: Double, training: TrainingSpec
) throws -> Trainer<Double> {
  let plan = try syntheticPlan(
    inputs: 1, task: .regression(targets: ["t"]), rows: targets.count,
    layers: [LayerSpec(units: 1, activation: .identity, bias: false)], loss: .quadratic,
    optimizer: OptimizerSpec(kind: .sgd, learningRate: learningRate), training: training)
  return Trainer(
    plan: plan,
    data: LoadedData(
      train: examples(targets.map { _ in 1 }, width: 1, targets: targets, as: Double.self),
      test: nil, preprocessing: Preprocessing()))
}

/// Random features, labels the sign of the first one with a third of them
/// flipped: a wide network learns the sign, then memorizes the flips, and its
/// validation loss turns up.
func memorizingTrainer(training: TrainingSpec) throws -> Trainer<Double> {
  let rows = 120
  var random = RandomStream(seed: 21, stream: "noise")
  let x = (0..<rows * 5).map { _ in 2 * random.nextUnit() - 1 }
  let y = (0..<rows).map { i in (x[i * 5] > 0) != (random.next(below: 6) == 0) ? 1 : 0 }
  let plan = try syntheticPlan(
    inputs: 5, task: .classification(classes: ["0", "1"]), rows: rows,
    layers: [LayerSpec(units: 64, activation: .tanh), LayerSpec(units: 2, activation: .softmax)],
    loss: .nll, optimizer: OptimizerSpec(kind: .adam, learningRate: 0.02),
    training: training, validation: 0.25)
  return Trainer(
    plan: plan,
    data: LoadedData(
      train: examples(x, width: 5, labels: y, as: Double.self), test: nil,
      preprocessing: Preprocessing()))
}

@Suite("Stopping rules")
struct StoppingTests {
  @Test func theEpochLimitWithoutAToleranceIsReportedAsSuch() throws {
    let trainer = try quadraticTrainer(
      targets: [0], learningRate: 0.5, training: TrainingSpec(epochs: 7))
    trainer.network.arena.parameters[0] = 1
    let outcome = trainer.run()
    #expect(outcome.stopReason == .epochLimit)
    #expect(outcome.epochs == 7)
    #expect(outcome.history.count == 7)
  }

  @Test("the weight tolerance is on the max-norm of one epoch's change")
  func weightTolerance() throws {
    // w ← w/2 from w = 1: epoch t moves w by 2^−t, first below 1e-3 at t = 10.
    let trainer = try quadraticTrainer(
      targets: [0], learningRate: 0.5, training: TrainingSpec(epochs: 100, tolerance: 1e-3))
    trainer.network.arena.parameters[0] = 1
    let outcome = trainer.run()
    #expect(outcome.stopReason == .weightsConverged)
    #expect(outcome.epochs == 10)
    #expect(outcome.history.last?.weightChange == 0x1p-10)
  }

  @Test("the loss tolerance is on the relative change of the training loss")
  func lossTolerance() throws {
    // Targets 0 and 2: w_t = 1 − 2^−t from 0, and epoch k starts at
    // J = ½(1 + 4^−(k−1)). The change from epoch k − 1 to k, relative to
    // epoch k − 1's loss, is 0.75 · 4^−(k−2) / (1 + 4^−(k−2)): 2.9e-3 at
    // k = 6, 7.3e-4 at k = 7, the first below 1e-3.
    let trainer = try quadraticTrainer(
      targets: [0, 2], learningRate: 0.5,
      training: TrainingSpec(epochs: 100, lossTolerance: 1e-3))
    let outcome = trainer.run()
    #expect(outcome.stopReason == .lossConverged)
    #expect(outcome.epochs == 7)
    #expect(isClose(outcome.history[6].trainLoss, 0.5 * (1 + 1.0 / 4096), relative: 1e-15))
  }

  @Test("early stopping stops `patience` epochs after the best and restores it")
  func earlyStopping() throws {
    let patience = 5
    let trainer = try memorizingTrainer(
      training: TrainingSpec(epochs: 300, patience: patience))
    let outcome = trainer.run()
    #expect(outcome.stopReason == .earlyStopping)
    let losses = outcome.history.compactMap { $0.validation?.loss }
    let best = try #require(losses.indices.min { losses[$0] < losses[$1] })
    #expect(outcome.epochs == best + 1 + patience)
    #expect(best > 0)

    // The restored weights are the best epoch's: the same run, stopped there.
    let rerun = try memorizingTrainer(training: TrainingSpec(epochs: best + 1))
    _ = rerun.run()
    #expect(Array(trainer.network.arena.parameters) == Array(rerun.network.arena.parameters))
    let validation = try #require(trainer.validation)
    #expect(trainer.network.evaluate(validation).loss == losses[best])
  }

  @Test("early stopping keeps the best weights when another rule stops the run")
  func bestWeightsUnderAnotherRule() throws {
    // A tolerance every epoch meets: the run ends after epoch 1, which is
    // then also the best; its weights, not the zero buffer, must come back.
    let trainer = try memorizingTrainer(
      training: TrainingSpec(epochs: 300, tolerance: 1e9, patience: 5))
    let outcome = trainer.run()
    #expect(outcome.stopReason == .weightsConverged)
    #expect(outcome.epochs == 1)
    let rerun = try memorizingTrainer(training: TrainingSpec(epochs: 1))
    _ = rerun.run()
    #expect(Array(trainer.network.arena.parameters) == Array(rerun.network.arena.parameters))
    #expect(trainer.network.arena.parameters.contains { $0 != 0 })
  }

  @Test("a diverging run stops, names where, and keeps the last finite weights")
  func divergence() throws {
    // η = 3 on J = ½w²: w ← −2w, |w| doubles until it overflows.
    let trainer = try quadraticTrainer(
      targets: [0], learningRate: 3, training: TrainingSpec(epochs: 5000))
    trainer.network.arena.parameters[0] = 1
    let outcome = trainer.run()
    #expect(outcome.stopReason == .diverged)
    // Epoch k starts at |w| = 2^(k−1); ½w² overflows (w² = 2^1024) in epoch
    // 513, long before w itself would.
    #expect(outcome.divergence?.quantity == "loss")
    #expect(outcome.epochs == 513)
    #expect(trainer.network.arena.parameters[0].isFinite)
  }
}

@Suite("Separable data")
struct SeparabilityTests {
  /// The margin rows of a logistic regression on one feature x with a bias.
  func rows(_ x: [Double], _ y: [Int], bias: Bool = true) -> [Double] {
    zip(x, y).flatMap { x, y in
      let sign: Double = y == 1 ? 1 : -1
      return bias ? [sign * x, sign] : [sign * x]
    }
  }

  @Test("the verdict on small hand-made sets")
  func handMadeVerdicts() {
    // x = 1 is class 1, x = −1 class 0, no bias: w > 0 separates.
    #expect(
      Separability.verdict(rows: rows([1, -1], [1, 0], bias: false), count: 2, width: 1)
        == .separable)
    // The same point in both classes: never separable.
    #expect(
      Separability.verdict(rows: rows([1, 1], [1, 0], bias: false), count: 2, width: 1)
        == .overlapping)
    // Classes touching at x = 0 (one point of each there): quasi-complete
    // separation, w → ∞ with b = 0 still lowers J.
    #expect(
      Separability.verdict(rows: rows([-1, 0, 0, 1], [0, 0, 1, 1]), count: 4, width: 2)
        == .separable)
    // Class 1 between class 0 points: no threshold splits them.
    #expect(
      Separability.verdict(rows: rows([-1, -0.5, 0, 0.5, 1], [0, 1, 1, 0, 0]), count: 5, width: 2)
        == .overlapping)
  }

  @Test("the verdict agrees with linear programming (reference/separability_reference.py)")
  func againstLinearProgramming() throws {
    let fixture = try JSONFixture("Tests/RuntimeTests/Fixtures/reference/separability-lp.json")
    let cases = try fixture.objects("cases")
    #expect(cases.count == 48)
    for (index, item) in cases.enumerated() {
      let rows = try #require((item["rows"] as? [NSNumber])?.map(\.doubleValue))
      let count = try #require(item["count"] as? Int)
      let width = try #require(item["width"] as? Int)
      let separable = try #require(item["separable"] as? Bool)
      #expect(
        Separability.verdict(rows: rows, count: count, width: width)
          == (separable ? .separable : .overlapping),
        "case \(index), \(item["kind"] as? String ?? "")")
    }
  }

  @Test(
    "breast cancer without L2 is separable: Newton and gradient descent stop and say so",
    arguments: [OptimizerKind.newton, .sgd])
  func breastCancerSeparable(_ kind: OptimizerKind) throws {
    let model = try ShippedModel("breast-cancer-logistic.yaml") { spec in
      spec.regularization.l2 = 0
      spec.optimizer = OptimizerSpec(kind: kind, learningRate: 1)
      spec.training = TrainingSpec(epochs: 100_000, tolerance: 1e-10)
    }
    #expect(Separability.verdict(model.plan, train: model.trainer.train) == .separable)
    let outcome = model.trainer.run()
    #expect(outcome.stopReason == .separable)
    #expect(outcome.epochs == 1)
  }

  @Test("iris without L2 is separable quasi-completely: setosa from the rest")
  func irisQuasiComplete() throws {
    let model = try ShippedModel("iris-softmax-newton.yaml") { $0.regularization.l2 = 0 }
    #expect(Separability.verdict(model.plan, train: model.trainer.train) == .separable)
    // No θ classifies versicolor and virginica apart, so the certificate
    // alone could never show it.
    #expect(model.trainer.run().stopReason == .separable)
  }

  @Test("overlapping classes without L2 train to their minimum")
  func overlappingClasses() throws {
    let model = try ShippedModel("breast-cancer-logistic.yaml") { spec in
      spec.regularization.l2 = 0
      spec.data.features = ["mean_radius", "mean_texture"]
    }
    #expect(Separability.verdict(model.plan, train: model.trainer.train) == .overlapping)
    #expect(model.trainer.run().stopReason == .weightsConverged)
  }

  @Test("L2 or a hidden layer switch the watch off")
  func notWatched() throws {
    let regularized = try ShippedModel("breast-cancer-logistic.yaml")
    #expect(!Separability.isWatched(regularized.plan))
    #expect(Separability.verdict(regularized.plan, train: regularized.trainer.train) == .undecided)
    let network = try memorizingTrainer(training: TrainingSpec(epochs: 1))
    #expect(!Separability.isWatched(network.plan))
  }

  @Test("beyond the proof's budget, the trained weights are the certificate")
  func certificate() throws {
    // x = 1, 2 are class 1; x = −1, −2 class 0; one sigmoid unit with a bias.
    let plan = try syntheticPlan(
      inputs: 1, task: .classification(classes: ["0", "1"]), rows: 4,
      layers: [LayerSpec(units: 1, activation: .sigmoid)], loss: .nll,
      optimizer: OptimizerSpec(kind: .sgd, learningRate: 1), training: TrainingSpec(epochs: 1))
    let train = examples([1, 2, -1, -2], width: 1, labels: [1, 1, 0, 0], as: Double.self)
    #expect(Separability.verdict(plan, train: train) == .separable)
    #expect(Separability.verdict(plan, train: train, budget: 0) == .undecided)

    let network = Network<Double>(plan: plan, arena: Arena(plan: plan))
    var watch = SeparabilityWatch(plan: plan, proofBudget: 0)
    // θ = 0: every margin is 0, which proves nothing.
    let atZero = watch.detects(network, train: train)
    #expect(!atZero)
    // w = 1, b = 1.5 puts x = −1 on the wrong side (z = 0.5 for class 0).
    network.arena.parameters[0] = 1
    network.arena.parameters[1] = 1.5
    let misclassifying = watch.detects(network, train: train)
    #expect(!misclassifying)
    // w = 1, b = 0.5: every margin positive.
    network.arena.parameters[1] = 0.5
    let separating = watch.detects(network, train: train)
    #expect(separating)
  }

  @Test("softmax margins: the true logit must beat every other")
  func softmaxCertificate() throws {
    let plan = try syntheticPlan(
      inputs: 2, task: .classification(classes: ["a", "b", "c"]), rows: 3,
      layers: [LayerSpec(units: 3, activation: .softmax, bias: false)], loss: .nll,
      optimizer: OptimizerSpec(kind: .sgd, learningRate: 1), training: TrainingSpec(epochs: 1))
    // Rows e₁, e₂ and −e₁ − e₂ for classes a, b, c.
    let train = examples([1, 0, 0, 1, -1, -1], width: 2, labels: [0, 1, 2], as: Double.self)
    let network = Network<Double>(plan: plan, arena: Arena(plan: plan))
    // W columns (one per class): a = e₁, b = e₂, c = 0 gives logits
    // (1, 0, 0), (0, 1, 0), (−1, −1, 0): every true logit strictly largest.
    let w: [Double] = [1, 0, 0, 0, 1, 0]
    for (i, value) in w.enumerated() { network.arena.parameters[i] = value }
    #expect(network.separatesEveryExample(train))
    // Without W[1, b] the second row's logits all tie at 0.
    network.arena.parameters[4] = 0
    #expect(!network.separatesEveryExample(train))
  }
}
