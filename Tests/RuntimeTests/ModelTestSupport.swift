import Planner
import SpecParser
import TestSupport
import Testing

@testable import Runtime

/// A shipped spec carried through the real pipeline: read from `specs/`,
/// its CSV files probed and planned, loaded in float64, and a trainer built.
struct ShippedModel {
  var spec: Spec
  var shape: DataShape
  var plan: Plan
  var data: LoadedData<Double>
  var trainer: Trainer<Double>

  /// `adjust` edits the spec before planning (a test's λ, say).
  init(_ file: String, adjust: (inout Spec) -> Void = { _ in }) throws {
    spec = try SpecReader.load(path: repositoryPath("specs/" + file)).spec
    adjust(&spec)
    shape = try DataProbe.shape(of: spec.data)
    plan = try Planner.plan(spec, shape: shape)
    data = try DataLoader.load(spec.data, shape: shape, as: Double.self)
    trainer = Trainer(plan: plan, data: data)
  }

  /// The single layer's weights (inputs × outputs, row-major) and bias.
  var weights: [Double] {
    let block = plan.layers[0].weight
    return Array(trainer.network.arena.parameters[block.offset..<block.offset + block.count])
  }

  var bias: [Double] {
    guard let block = plan.layers[0].bias else { return [] }
    return Array(trainer.network.arena.parameters[block.offset..<block.offset + block.count])
  }
}

/// A plan for `layers` on synthetic data of `inputs` features and `task`.
func syntheticPlan(
  inputs: Int, task: Task, rows: Int, layers: [LayerSpec], loss: LossKind, l2: Double = 0,
  optimizer: OptimizerSpec, training: TrainingSpec, precision: Precision = .float64,
  validation: Double? = nil, testRows: Int? = nil
) throws(SpecErrors) -> Plan {
  let spec = Spec(
    file: "synthetic.yaml", name: "synthetic", seed: 5, precision: precision, threads: 1,
    data: DataSpec(train: .csv(path: "unused.csv"), validation: validation),
    model: ModelSpec(layers: layers), loss: loss, regularization: RegularizationSpec(l2: l2),
    optimizer: optimizer, training: training, locations: [:])
  return try Planner.plan(
    spec,
    shape: DataShape(
      trainCount: rows, testCount: testRows, featureNames: (0..<inputs).map { "x\($0)" },
      task: task))
}

/// Examples from row-major features and class labels or targets.
func examples<S: Scalar>(
  _ features: [Double], width: Int, labels: [Int] = [], targets: [Double] = [], as _: S.Type
) -> Examples<S> {
  Examples(
    count: features.count / width, width: width, features: features.map { S($0) },
    labels: labels.map { Int32($0) }, targets: targets.map { S($0) })
}

/// The softmax bias with its mean removed: only its differences are determined.
func centred(_ bias: [Double]) -> [Double] {
  let mean = bias.reduce(0, +) / Double(max(bias.count, 1))
  return bias.map { $0 - mean }
}
