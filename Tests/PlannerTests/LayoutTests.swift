import Planner
import SpecParser
import Testing

/// A spec for `layers` on data with `inputs` features, every other setting fixed.
func layoutSpec(
  _ layers: [LayerSpec], loss: LossKind = .nll, batch: BatchSize = .examples(128),
  optimizer: OptimizerKind = .sgd, momentum: Double = 0
) -> Spec {
  Spec(
    file: "layout.yaml", name: "layout", seed: 1, precision: .float32, threads: nil,
    data: DataSpec(train: .csv(path: "train.csv")), model: ModelSpec(layers: layers), loss: loss,
    regularization: RegularizationSpec(l2: 1e-4),
    optimizer: OptimizerSpec(
      kind: optimizer, learningRate: 0.1, momentum: momentum, batchSize: batch),
    training: TrainingSpec(epochs: 1), locations: [:])
}

func classes(_ count: Int) -> Task {
  .classification(classes: (0..<count).map(String.init))
}

@Test func fashionNetworkLayout() throws {
  // 784-256-128-10: every offset below is the running sum of the blocks
  // before it, worked out by hand.
  let plan = try Planner.plan(
    layoutSpec([
      LayerSpec(units: 256, activation: .relu), LayerSpec(units: 128, activation: .relu),
      LayerSpec(units: 10, activation: .softmax),
    ]),
    shape: DataShape(
      trainCount: 60000, testCount: 10000, featureNames: (0..<784).map { "p\($0)" },
      task: classes(10)))

  #expect(plan.parameters.count == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10)
  #expect(plan.parameters.count == 235_146)
  let blocks = plan.parameters.blocks.map { "\($0.name) \($0.shape) @\($0.offset)" }
  #expect(
    blocks == [
      "layers.0.weight [784, 256] @0", "layers.0.bias [256] @200704",
      "layers.1.weight [256, 128] @200960", "layers.1.bias [128] @233728",
      "layers.2.weight [128, 10] @233856", "layers.2.bias [10] @235136",
    ])
  #expect(plan.objective == .softmaxCrossEntropy)
  #expect(plan.batchSize == 128)
  // Evaluation runs 1024 rows at a time, so activations are that tall;
  // deltas are only needed for training batches.
  #expect(plan.evaluationBatchSize == 1024)
  let buffers = plan.arena.buffers.map { "\($0.name) \($0.rows)x\($0.columns) @\($0.offset)" }
  #expect(
    buffers == [
      "input 1024x784 @0",
      "layers.0.activations 1024x256 @802816", "layers.0.deltas 128x256 @1064960",
      "layers.1.activations 1024x128 @1097728", "layers.1.deltas 128x128 @1228800",
      "layers.2.activations 1024x10 @1245184", "layers.2.deltas 128x10 @1255424",
      "targets 1024x0 @1256704", "ones 1024x1 @1256704",
    ])
  #expect(plan.arena.count == 1_257_728)
  #expect(plan.examples == ExampleCounts(train: 60000, validation: 0, test: 10000))
}

@Test func layersWithoutBiasHaveNoBiasBlock() throws {
  let plan = try Planner.plan(
    layoutSpec(
      [
        LayerSpec(units: 3, activation: .tanh, bias: false),
        LayerSpec(units: 1, activation: .sigmoid),
      ], batch: .full),
    shape: DataShape(
      trainCount: 20, testCount: nil, featureNames: ["a", "b"], task: classes(2)))
  #expect(
    plan.parameters.blocks.map(\.name) == ["layers.0.weight", "layers.1.weight", "layers.1.bias"])
  #expect(plan.parameters.count == 2 * 3 + 3 * 1 + 1)
  #expect(plan.layers[0].bias == nil)
  #expect(plan.objective == .sigmoidCrossEntropy)
}

@Test func regressionPlacesTargetsAndFullBatch() throws {
  let plan = try Planner.plan(
    layoutSpec(
      [LayerSpec(units: 2, activation: .identity)], loss: .quadratic, batch: .full,
      optimizer: .newton),
    shape: DataShape(
      trainCount: 50, testCount: 10, featureNames: ["x", "y", "z"],
      task: .regression(targets: ["u", "v"])))
  #expect(plan.objective == .quadratic)
  // Full batch: one step of all 50 rows; evaluation needs no more.
  #expect(plan.batchSize == 50)
  #expect(plan.evaluationBatchSize == 50)
  #expect(plan.arena.targets.rows == 50 && plan.arena.targets.columns == 2)
  #expect(plan.parameters.count == 3 * 2 + 2)
  #expect(plan.parameters.hessianCount == 8 * 8)
  #expect(plan.parameters.optimizerStateVectors == 0)
}

@Test func optimizerStateFollowsTheOptimizer() throws {
  let shape = DataShape(trainCount: 10, testCount: nil, featureNames: ["x"], task: classes(3))
  let layers = [LayerSpec(units: 3, activation: .softmax)]
  #expect(
    try Planner.plan(layoutSpec(layers, batch: .examples(5)), shape: shape)
      .parameters.optimizerStateVectors == 0)
  #expect(
    try Planner.plan(layoutSpec(layers, batch: .examples(5), momentum: 0.9), shape: shape)
      .parameters.optimizerStateVectors == 1)
  #expect(
    try Planner.plan(layoutSpec(layers, batch: .examples(5), optimizer: .adam), shape: shape)
      .parameters.optimizerStateVectors == 2)
}

@Test func validationRowsComeOutOfTraining() throws {
  var spec = layoutSpec([LayerSpec(units: 3, activation: .softmax)], batch: .examples(10))
  spec.data.validation = 0.2
  let plan = try Planner.plan(
    spec, shape: DataShape(trainCount: 101, testCount: 7, featureNames: ["x"], task: classes(3)))
  // round(0.2 × 101) = 20 rows held out.
  #expect(plan.examples == ExampleCounts(train: 81, validation: 20, test: 7))
}

@Test func mismatchesBetweenModelAndDataAreAllReported() throws {
  var spec = layoutSpec(
    [
      LayerSpec(units: 4, activation: .softmax), LayerSpec(units: 5, activation: .softmax),
    ], batch: .examples(500))
  spec.locations = [
    "model.layers[0].activation": SourceLocation(file: "layout.yaml", line: 3, column: 20),
    "model.layers[1].units": SourceLocation(file: "layout.yaml", line: 4, column: 15),
    "optimizer.batch_size": SourceLocation(file: "layout.yaml", line: 9, column: 15),
  ]
  #expect {
    try Planner.plan(
      spec,
      shape: DataShape(trainCount: 100, testCount: nil, featureNames: ["x"], task: classes(3)))
  } throws: { error in
    guard let errors = error as? SpecErrors else { return false }
    let lines = errors.diagnostics.map { "\($0.location.line):\($0.location.column) \($0.keyPath)" }
    return lines == [
      "3:20 model.layers[0].activation", "4:15 model.layers[1].units",
      "9:15 optimizer.batch_size",
    ]
  }
}
