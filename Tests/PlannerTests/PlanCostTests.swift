import Planner
import Runtime
import SpecParser
import TestSupport
import Testing

/// A spec decoded from YAML; its data files are never read here, the
/// shapes are given by hand.
func decodedSpec(_ yaml: String) throws -> Spec {
  try SpecReader.decode(yaml, file: "test.yaml").spec
}

func classification(train: Int, test: Int?, features: Int, classes: Int) -> DataShape {
  DataShape(
    trainCount: train, testCount: test, featureNames: (0..<features).map { "x\($0)" },
    task: .classification(classes: (0..<classes).map { "c\($0)" }))
}

/// Softmax regression shaped like iris: 120 training rows, 30 test rows.
let irisLike = """
  seed: 1
  data: {train: {csv: train.csv}, test: {csv: test.csv}, label: species}
  model:
    layers: [{units: 3, activation: softmax}]
  loss: nll
  optimizer: {kind: sgd, learning_rate: 0.5}
  training: {epochs: 10}
  """
let irisShape = classification(train: 120, test: 30, features: 4, classes: 3)

// MARK: - Memory

@Test func irisMemoryByHand() throws {
  let plan = try Planner.plan(try decodedSpec(irisLike), shape: irisShape)
  let memory = plan.memory
  // P = 4·3 + 3 = 15 float32 parameters; full batch B = R = 120 rows.
  #expect(memory.parameters == 60)
  #expect(memory.gradient == 60)
  #expect(memory.optimizerState == 0)
  // input 120·4 + activations 120·3 + deltas 120·3 + targets 0 + ones 120 = 1320 elements.
  #expect(memory.activations == 1320 * 4)
  #expect(memory.batchLabels == 120 * 4)
  #expect(memory.arena == 60 + 60 + 5280 + 480)
  // θ at the epoch start (60) and the row order (120 · 4).
  #expect(memory.trainer == 540)
  // 150 examples of 4 float32 features and one Int32 label.
  #expect(memory.data == 150 * 20)
  #expect(memory.newton == 0)
  #expect(memory.total == 5880 + 540 + 3000)
}

/// The architectures compared with what `Arena` allocates.
let arenaCases: [(name: String, yaml: String, shape: DataShape)] = [
  ("softmax regression, full batch", irisLike, irisShape),
  (
    "relu network, momentum, float32",
    """
    seed: 1
    data: {train: {csv: train.csv}, label: y, validation: 0.2}
    model:
      layers:
        - {units: 32, activation: relu}
        - {units: 16, activation: tanh, bias: false}
        - {units: 10, activation: softmax}
    loss: nll
    optimizer: {kind: sgd, learning_rate: 0.1, momentum: 0.9, batch_size: 64}
    training: {epochs: 3, patience: 2}
    """,
    classification(train: 2000, test: 500, features: 64, classes: 10)
  ),
  (
    "adam, float64, sigmoid output",
    """
    seed: 1
    precision: float64
    data: {train: {csv: train.csv}, label: y}
    model:
      layers:
        - {units: 7, activation: sigmoid}
        - {units: 1, activation: sigmoid}
    loss: nll
    optimizer: {kind: adam, learning_rate: 1e-3, batch_size: 5}
    training: {epochs: 3}
    """,
    classification(train: 50, test: nil, features: 3, classes: 2)
  ),
  (
    "regression, two targets, evaluation wider than the batch",
    """
    seed: 1
    data: {train: {csv: train.csv}, test: {csv: test.csv}, targets: [a, b]}
    model:
      layers:
        - {units: 12, activation: tanh}
        - {units: 2, activation: identity}
    loss: quadratic
    optimizer: {kind: sgd, learning_rate: 0.01, batch_size: 16}
    training: {epochs: 3}
    """,
    DataShape(
      trainCount: 3000, testCount: 700, featureNames: ["p", "q", "r"],
      task: .regression(targets: ["a", "b"]))
  ),
  (
    "Newton, logistic regression",
    """
    seed: 1
    data: {train: {csv: train.csv}, label: y}
    model:
      layers: [{units: 1, activation: sigmoid}]
    loss: nll
    optimizer: {kind: newton}
    training: {epochs: 3}
    """,
    classification(train: 100, test: nil, features: 4, classes: 2)
  ),
]

@Test(arguments: arenaCases.indices)
func planMemoryMatchesWhatTheArenaAllocates(_ index: Int) throws {
  let example = arenaCases[index]
  let plan = try Planner.plan(try decodedSpec(example.yaml), shape: example.shape)
  let allocated =
    plan.precision == .float32
    ? Arena<Float>(plan: plan).byteCount : Arena<Double>(plan: plan).byteCount
  #expect(plan.memory.arena == allocated, "\(example.name)")
  // The memory counted before the layout agrees with the layout itself.
  #expect(plan.memory.activations == plan.arena.count * plan.memory.elementBytes)
  #expect(plan.memory.parameters == plan.parameters.count * plan.memory.elementBytes)
}

@Test func newtonMemoryAndOperationsByHand() throws {
  let plan = try Planner.plan(try decodedSpec(arenaCases[4].yaml), shape: arenaCases[4].shape)
  // m = 4 features with a bias: m̃ = 5, K = 1, P = 5, n = 100.
  #expect(plan.parameters.hessianCount == 25)
  // 8 · (2·25 Hessian and factor + 2·100·5 design copies + 5·5 block
  //      + 2·100·1 outputs and residuals + 4·5 vectors) = 8 · 1295.
  #expect(plan.memory.newton == 10_360)
  // 4·100·5·1 + 1 block · (100·5 + 2·100·5·5) + ⌊5³/3⌋ + 2·5² = 2000 + 5500 + 41 + 50.
  #expect(plan.flops.newtonPerIteration == 7591)
}

// MARK: - Operations

@Test func operationsOfATwoLayerNetworkByHand() throws {
  let yaml = """
    seed: 1
    data: {train: {csv: train.csv}, label: y}
    model:
      layers:
        - {units: 3, activation: tanh}
        - {units: 2, activation: softmax}
    loss: nll
    optimizer: {kind: sgd, learning_rate: 0.1, batch_size: 10}
    training: {epochs: 1}
    """
  let plan = try Planner.plan(
    try decodedSpec(yaml), shape: classification(train: 40, test: 10, features: 4, classes: 2))
  let flops = plan.flops
  // Forward: (2·4·3 + 3) + (2·3·2 + 2) = 27 + 14.
  #expect(flops.forwardPerExample == 41)
  // Backward, layer 1: ∂W 2·3·2, ∂b 2·2, D_0 2·3·2 and φ′ 3; layer 0: ∂W 2·4·3, ∂b 2·3.
  #expect(flops.backwardPerExample == (12 + 4 + 12 + 3) + (24 + 6))
  #expect(flops.forwardPerEpoch == 41 * 40)
  #expect(flops.backwardPerEpoch == 61 * 40)
  #expect(flops.evaluationPerEpoch == 41 * 10)
  #expect(flops.newtonPerIteration == nil)
}

// MARK: - Budget

@Test func aBudgetOneByteShortNamesTheLayer() throws {
  let spec = try decodedSpec(irisLike)
  let total = 9420
  _ = try Planner.plan(spec, shape: irisShape, budget: MemoryBudget(bytes: total, source: "test"))

  let error = #expect(throws: SpecErrors.self) {
    let budget = MemoryBudget(bytes: total - 1, source: "test")
    return try Planner.plan(spec, shape: irisShape, budget: budget)
  }
  let diagnostic = try #require(error?.diagnostics.first)
  #expect(error?.diagnostics.count == 1)
  // Layer 0 holds 15·4·3 = 180 bytes of parameters, gradient and epoch-start
  // copy plus (120 + 120)·3·4 = 2880 of buffers: more than the 3000 of data.
  #expect(diagnostic.keyPath == "model.layers[0].units")
  #expect(diagnostic.location.line == 4)
  #expect(diagnostic.message.contains("9.20 KiB (9,420 bytes)"), "\(diagnostic)")
  #expect(diagnostic.message.contains("memory budget of 9.20 KiB (test)"))
  #expect(diagnostic.message.contains("layer 0 (dense 4 → 3, softmax) holds 2.99 KiB"))
}

@Test func aNewtonHessianOverTheBudgetNamesHessianCount() throws {
  let yaml = """
    seed: 1
    data: {train: {csv: train.csv}, label: y}
    model:
      layers: [{units: 10, activation: softmax}]
    loss: nll
    optimizer: {kind: newton}
    training: {epochs: 3}
    """
  let shape = classification(train: 100, test: nil, features: 1000, classes: 10)
  let error = #expect(throws: SpecErrors.self) {
    try Planner.plan(
      try decodedSpec(yaml), shape: shape, budget: MemoryBudget(bytes: 1 << 30, source: "test"))
  }
  let diagnostic = try #require(error?.diagnostics.first)
  #expect(diagnostic.keyPath == "optimizer.kind")
  // P = 1001 · 10 = 10,010; P² = 100,200,100; twice that in doubles is 1,603,201,600 bytes.
  #expect(diagnostic.message.contains("(P = 10,010 parameters, 100,200,100 elements)"))
  #expect(diagnostic.message.contains("take 1.49 GiB"), "\(diagnostic)")
  #expect(diagnostic.hint?.contains("use sgd or adam") == true)
}

@Test func sizesBeyondAnAddressAreRefusedWithoutTrapping() throws {
  var spec = try decodedSpec(irisLike)
  spec.model.layers = [
    LayerSpec(units: 4_000_000_000, activation: .relu),
    LayerSpec(units: 4_000_000_000, activation: .relu),
    LayerSpec(units: 3, activation: .softmax),
  ]
  let error = #expect(throws: SpecErrors.self) { try Planner.plan(spec, shape: irisShape) }
  #expect(error?.diagnostics.first?.message.contains("beyond what a 64-bit address") == true)
  #expect(error?.diagnostics.first?.keyPath == "model.layers[1].units")

  // Newton's P² overflows long before P does.
  spec.model.layers = [LayerSpec(units: 100_000, activation: .softmax)]
  spec.optimizer.kind = .newton
  let wide = classification(train: 10, test: nil, features: 100_000, classes: 100_000)
  let newton = #expect(throws: SpecErrors.self) { try Planner.plan(spec, shape: wide) }
  #expect(newton?.diagnostics.first?.keyPath == "optimizer.kind")
}

// MARK: - Rules

@Test func unitsBelowOneAndNonConvexNewtonAreRefused() throws {
  var spec = try decodedSpec(irisLike)
  spec.model.layers = [LayerSpec(units: 0, activation: .softmax)]
  let units = #expect(throws: SpecErrors.self) { try Planner.plan(spec, shape: irisShape) }
  #expect(units?.diagnostics.map(\.message).contains("units must be ≥ 1, found 0") == true)

  // Quadratic loss through a sigmoid is not convex in the weights.
  spec.model.layers = [LayerSpec(units: 1, activation: .sigmoid)]
  spec.loss = .quadratic
  spec.optimizer.kind = .newton
  let shape = DataShape(
    trainCount: 20, testCount: nil, featureNames: ["a"], task: .regression(targets: ["y"]))
  let newton = #expect(throws: SpecErrors.self) { try Planner.plan(spec, shape: shape) }
  #expect(newton?.diagnostics.map(\.keyPath) == ["model.layers[0].activation"])
  #expect(newton?.diagnostics.first?.message.contains("not convex") == true)

  spec.model.layers = [LayerSpec(units: 1, activation: .identity)]
  #expect(try Planner.plan(spec, shape: shape).parameters.hessianCount == 4)
}

// MARK: - Data against the loaded examples

/// The bytes of an example set's arrays as the runtime holds them.
func heldBytes(_ examples: Examples<Float>?) -> Int {
  guard let examples else { return 0 }
  return (examples.features.count + examples.targets.count) * 4 + examples.labels.count * 4
}

@Test(
  arguments: [
    ("iris", "label: species", "softmax", 3, "nll", "validation: 0.2"),
    ("diabetes", "targets: progression", "identity", 1, "quadratic", "standardize: true"),
  ])
func dataMemoryMatchesTheLoadedExamples(
  _ set: String, _ predicted: String, _ output: String, _ units: Int, _ loss: String,
  _ extra: String
) throws {
  let data = repositoryPath("specs/data/\(set)")
  let yaml = """
    seed: 1
    data:
      train: {csv: \(data)-train.csv}
      test: {csv: \(data)-test.csv}
      \(predicted)
      \(extra)
    model:
      layers: [{units: \(units), activation: \(output)}]
    loss: \(loss)
    optimizer: {kind: sgd, learning_rate: 0.1}
    training: {epochs: 1}
    """
  let spec = try decodedSpec(yaml)
  let shape = try DataProbe.shape(of: spec.data)
  let plan = try Planner.plan(spec, shape: shape)
  let loaded = try DataLoader.load(spec.data, shape: shape, as: Float.self)
  let trainer = Trainer<Float>(plan: plan, data: loaded)
  // The loaded sets, and the training and validation copies the split makes.
  var held = heldBytes(loaded.train) + heldBytes(loaded.test)
  if trainer.validation != nil {
    held += heldBytes(trainer.train) + heldBytes(trainer.validation)
  }
  #expect(plan.memory.data == held)
  #expect(plan.memory.arena == trainer.network.arena.byteCount)
}
