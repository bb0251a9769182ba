import AllocationCounter
import Planner
import SpecParser
import Testing

@testable import Runtime

/// A trainer for a 20-32-16-4 ReLU/softmax network on 1000 random rows.
func syntheticTrainer(optimizer: OptimizerSpec) throws -> Trainer<Float> {
  let rows = 1000
  let width = 20
  let spec = Spec(
    file: "synthetic", name: "synthetic", seed: 5, precision: .float32, threads: 1,
    data: DataSpec(train: .csv(path: "unused.csv")),
    model: ModelSpec(layers: [
      LayerSpec(units: 32, activation: .relu), LayerSpec(units: 16, activation: .tanh),
      LayerSpec(units: 4, activation: .softmax),
    ]),
    loss: .nll, regularization: RegularizationSpec(l2: 1e-4), optimizer: optimizer,
    training: TrainingSpec(epochs: 1), locations: [:])
  let plan = try Planner.plan(
    spec,
    shape: DataShape(
      trainCount: rows, testCount: nil, featureNames: (0..<width).map { "x\($0)" },
      task: .classification(classes: ["a", "b", "c", "d"])))
  var random = RandomStream(seed: 1, stream: "data")
  let examples = Examples<Float>(
    count: rows, width: width,
    features: (0..<rows * width).map { _ in Float(random.nextUnit()) },
    labels: (0..<rows).map { Int32($0 % 4) }, targets: [])
  return Trainer(
    plan: plan,
    data: LoadedData(train: examples, test: nil, preprocessing: Preprocessing()))
}

@Test(
  "training steps allocate nothing after the first",
  arguments: [
    OptimizerSpec(kind: .sgd, learningRate: 0.1, batchSize: .examples(64)),
    OptimizerSpec(
      kind: .sgd, learningRate: 0.1, momentum: 0.9, nesterov: true, batchSize: .examples(64)),
    OptimizerSpec(kind: .adam, learningRate: 0.01, batchSize: .examples(50)),
  ])
func trainingStepsDoNotAllocate(_ optimizer: OptimizerSpec) throws {
  let trainer = try syntheticTrainer(optimizer: optimizer)
  _ = trainer.runSteps(1, learningRate: 0.1)
  allocation_counter_start()
  let samples = trainer.runSteps(300, learningRate: 0.1)
  let allocations = allocation_counter_stop()
  #expect(samples >= 300 * 50)
  #expect(allocations == 0)
}

@Test func theCounterSeesAllocations() {
  // The check above could not fail if the counter were blind.
  allocation_counter_start()
  let array = [Int](repeating: 7, count: 1000)
  let allocations = allocation_counter_stop()
  #expect(array.count == 1000)
  #expect(allocations > 0)
}
