import Foundation
import Planner
import SpecParser
import Testing

@testable import Runtime

/// A 12-16-3 tanh/softmax network on 240 random rows, 48 held out for
/// validation, with early stopping armed: every piece of state a checkpoint
/// carries is in use.
private func checkpointTrainer(
  _ optimizer: OptimizerSpec, epochs: Int, precision: Precision = .float32
) throws -> Trainer<Float> {
  let rows = 240
  let width = 12
  let spec = Spec(
    file: "synthetic", name: "synthetic", seed: 11, precision: precision, threads: 1,
    data: DataSpec(train: .csv(path: "unused.csv"), validation: 0.2),
    model: ModelSpec(layers: [
      LayerSpec(units: 16, activation: .tanh), LayerSpec(units: 3, activation: .softmax),
    ]),
    loss: .nll, regularization: RegularizationSpec(l2: 1e-3), optimizer: optimizer,
    training: TrainingSpec(epochs: epochs, patience: 100), locations: [:])
  let plan = try Planner.plan(
    spec,
    shape: DataShape(
      trainCount: rows, testCount: nil, featureNames: (0..<width).map { "x\($0)" },
      task: .classification(classes: ["a", "b", "c"])))
  var random = RandomStream(seed: 2, stream: "data")
  let labels = (0..<rows).map { _ in Int32(random.next(below: 3)) }
  // Features that depend on the label, so training has something to learn.
  let features = (0..<rows * width).map { i in
    Float(random.nextUnit() + (i % width == Int(labels[i / width]) ? 1 : 0))
  }
  let examples = Examples<Float>(
    count: rows, width: width, features: features, labels: labels, targets: [])
  return Trainer(
    plan: plan, data: LoadedData(train: examples, test: nil, preprocessing: Preprocessing()))
}

private let optimizers: [OptimizerSpec] = [
  OptimizerSpec(
    kind: .sgd, learningRate: 0.2, momentum: 0.9, batchSize: .examples(25),
    schedule: .inverse(gamma: 0.5, power: 1)),
  OptimizerSpec(kind: .adam, learningRate: 0.01, batchSize: .examples(32)),
]

@Test(
  "a run stopped after any step and resumed from its checkpoint ends with the same bits",
  arguments: optimizers, [1, 7, 13, 19])
func resumedRunsEqualUninterruptedOnes(_ optimizer: OptimizerSpec, stopAfter: Int) throws {
  let epochs = 5
  let reference = try checkpointTrainer(optimizer, epochs: epochs)
  let expected = reference.run()

  // Stop after `stopAfter` steps (8 steps an epoch: 192 rows in batches of
  // 25, or 6 of 32), write the checkpoint out, and read it into a new trainer.
  let first = try checkpointTrainer(optimizer, epochs: epochs)
  var steps = 0
  var saved: TrainingCheckpoint<Float>?
  let stopped = first.run(
    control: TrainingControl(
      onCheckpoint: { saved = $0 }, shouldStop: { steps >= stopAfter },
      onStep: { _, _ in steps += 1 }))
  #expect(stopped.stopReason == .interrupted)
  let checkpoint = try #require(saved)
  let bytes = checkpoint.encoded()

  let second = try checkpointTrainer(optimizer, epochs: epochs)
  try second.restore(TrainingCheckpoint<Float>(decoding: bytes, file: "cp"), file: "cp")
  let resumed = second.run()

  #expect(Array(second.network.arena.parameters) == Array(reference.network.arena.parameters))
  #expect(resumed.stopReason == expected.stopReason)
  #expect(resumed.history.map(\.trainLoss) == expected.history.map(\.trainLoss))
  #expect(resumed.history.map(\.validation) == expected.history.map(\.validation))
  // The stop did not leave the first trainer where the reference is.
  #expect(Array(first.network.arena.parameters) != Array(reference.network.arena.parameters))
}

@Test func periodicCheckpointsComeEveryNEpochs() throws {
  let trainer = try checkpointTrainer(optimizers[0], epochs: 7)
  var epochs: [Int] = []
  _ = trainer.run(
    control: TrainingControl(
      checkpointEvery: 3, onCheckpoint: { epochs.append($0.progress.epoch) }))
  #expect(epochs == [3, 6])
}

@Test func aCheckpointReadsBackAsWritten() throws {
  let trainer = try checkpointTrainer(optimizers[1], epochs: 3)
  var steps = 0
  var saved: TrainingCheckpoint<Float>?
  _ = trainer.run(
    control: TrainingControl(
      onCheckpoint: { saved = $0 }, shouldStop: { steps >= 15 }, onStep: { _, _ in steps += 1 }))
  var checkpoint = try #require(saved)
  checkpoint.metadata = ["spec": "{\"name\":\"x\"}", "note": "ünïcode"]
  let read = try TrainingCheckpoint<Float>(decoding: checkpoint.encoded(), file: "cp")

  #expect(read.progress == checkpoint.progress)
  #expect(read.progress.epoch == 2 && read.progress.step == 3)
  #expect(read.progress.history.count == 2)
  #expect(read.optimizerStep == 15)
  #expect(read.shuffleState == checkpoint.shuffleState)
  #expect(read.parameters == checkpoint.parameters)
  #expect(read.optimizerState == checkpoint.optimizerState)
  #expect(read.epochStart == checkpoint.epochStart)
  #expect(read.best == checkpoint.best)
  #expect(read.order == checkpoint.order)
  #expect(read.metadata == checkpoint.metadata)
}

@Test func damagedOrForeignCheckpointsAreErrorsNotTraps() throws {
  let trainer = try checkpointTrainer(optimizers[0], epochs: 1)
  let bytes = trainer.checkpoint().encoded()
  // Every truncation of a valid file is refused.
  for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
    #expect(throws: CheckpointError.self) {
      _ = try TrainingCheckpoint<Float>(decoding: bytes.prefix(length), file: "cp")
    }
  }
  // A float32 checkpoint is not read as float64.
  let precision = #expect(throws: CheckpointError.self) {
    _ = try TrainingCheckpoint<Double>(decoding: bytes, file: "cp")
  }
  #expect(precision?.message.contains("another precision") == true)
  // A row order that is not a permutation would index out of range.
  var checkpoint = try TrainingCheckpoint<Float>(decoding: bytes, file: "cp")
  checkpoint.order[0] = Int32(checkpoint.order.count)
  let order = #expect(throws: CheckpointError.self) {
    try trainer.restore(checkpoint, file: "cp")
  }
  #expect(order?.message.contains("permutation") == true)
  // A checkpoint of another model does not fit.
  let other = try checkpointTrainer(optimizers[1], epochs: 1)
  #expect(throws: CheckpointError.self) {
    try other.restore(TrainingCheckpoint<Float>(decoding: bytes, file: "cp"), file: "cp")
  }
}

@Test func aRandomStreamContinuesFromItsSavedState() throws {
  var stream = RandomStream(seed: 9, stream: "shuffle")
  for _ in 0..<5 { _ = stream.next() }
  var copy = try #require(RandomStream(state: stream.state))
  let expected = (0..<100).map { _ in stream.next() }
  #expect((0..<100).map { _ in copy.next() } == expected)
  #expect(RandomStream(state: [0, 0, 0, 0]) == nil)
  #expect(RandomStream(state: [1, 2, 3]) == nil)
}
