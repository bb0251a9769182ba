import Foundation
import Planner
import Runtime
import SpecParser

/// A `weights.safetensors` that `nnc run` wrote: its tensors and the
/// metadata that says how to use them (layers, features, classes or targets,
/// preprocessing, the spec that made it).
struct WeightsFile {
  var path: String
  var tensors: [String: Tensor]
  var precision: String?
  var objective: String?
  var layers: [(inputs: Int, outputs: Int, activation: String, bias: Bool)]
  var features: [String]
  var task: Task
  var preprocessing: Preprocessing
  var specHash: String?
  var overrides: [String]

  /// Reads and parses `path`.
  /// - Throws: `WeightsError` when the file is not safetensors,
  ///   `ModelFileError` when it is unreadable or lacks the metadata `nnc run`
  ///   writes.
  init(path: String) throws {
    func fail(_ message: String) -> ModelFileError { ModelFileError(file: path, message: message) }
    let bytes: Data
    do {
      bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw fail("cannot read: \(RunDirectory.reason(error))")
    }
    let (tensors, metadata) = try Safetensors.decode(bytes, file: path)
    guard metadata["format"] == "nnc" else {
      throw fail(
        "the file has no nnc metadata (format: nnc), so its features, classes and "
          + "preprocessing are unknown; use the weights.safetensors that nnc run wrote")
    }
    func json(_ key: String) throws(ModelFileError) -> JSONValue {
      guard let text = metadata[key] else { throw fail("the metadata lacks '\(key)'") }
      do {
        return try JSONValue.parse(text)
      } catch {
        throw fail("the metadata '\(key)' is not valid JSON: \(error)")
      }
    }
    func names(_ value: JSONValue, _ key: String) throws(ModelFileError) -> [String] {
      guard let items = value.arrayValue else { throw fail("metadata '\(key)' is not a list") }
      var names: [String] = []
      for item in items {
        guard let name = item.stringValue else {
          throw fail("metadata '\(key)' holds a non-string")
        }
        names.append(name)
      }
      return names
    }

    self.path = path
    self.tensors = tensors
    precision = metadata["precision"]
    objective = metadata["objective"]
    specHash = metadata["spec_sha256"]
    overrides = try metadata["overrides"] == nil ? [] : names(json("overrides"), "overrides")
    let features = try names(json("features"), "features")
    self.features = features
    if metadata["classes"] != nil {
      task = .classification(classes: try names(json("classes"), "classes"))
    } else if metadata["targets"] != nil {
      task = .regression(targets: try names(json("targets"), "targets"))
    } else {
      throw fail("the metadata names neither classes nor targets")
    }

    layers = []
    for item in try json("layers").arrayValue ?? [] {
      guard let layer = item.objectValue, let inputs = layer["inputs"]?.integerValue,
        let outputs = layer["outputs"]?.integerValue,
        let activation = layer["activation"]?.stringValue,
        case .bool(let bias) = layer["bias"]
      else { throw fail("the metadata 'layers' holds an entry that is not a layer") }
      layers.append((inputs, outputs, activation, bias))
    }

    guard let prep = try json("preprocessing").objectValue else {
      throw fail("the metadata 'preprocessing' is not an object")
    }
    func numbers(_ key: String) throws(ModelFileError) -> [Double]? {
      guard let value = prep[key] else { return nil }
      let items = value.arrayValue?.compactMap(\.doubleValue) ?? []
      guard items.count == value.arrayValue?.count, items.count == features.count,
        items.allSatisfy({ $0.isFinite }), key != "std" || items.allSatisfy({ $0 != 0 })
      else { throw fail("the preprocessing '\(key)' is not \(features.count) usable numbers") }
      return items
    }
    let mean = try numbers("mean")
    let std = try numbers("std")
    guard (mean == nil) == (std == nil) else {
      throw fail("the preprocessing has a mean or a standard deviation without the other")
    }
    var scale: Double?
    if let value = prep["scale"] {
      guard let number = value.doubleValue, number.isFinite else {
        throw fail("the preprocessing 'scale' is not a number")
      }
      scale = number
    }
    preprocessing = Preprocessing(scale: scale, mean: mean, std: std)
  }

  // MARK: - Against the spec

  /// Every way these weights do not fit `spec`, each named; empty when they fit.
  func differences(from spec: Spec) -> [String] {
    var found: [String] = []
    let specLayers = spec.model.layers
    if specLayers.count != layers.count {
      found.append("the spec has \(specLayers.count) layers, the weights \(layers.count)")
    }
    for (index, (wanted, stored)) in zip(specLayers, layers).enumerated() {
      let place = "model.layers[\(index)]"
      if wanted.units != stored.outputs {
        found.append(
          "\(place).units is \(wanted.units) in the spec, \(stored.outputs) in the weights")
      }
      if wanted.activation.rawValue != stored.activation {
        found.append(
          "\(place).activation is \(wanted.activation.rawValue) in the spec, "
            + "\(stored.activation) in the weights")
      }
      if wanted.bias != stored.bias {
        found.append("\(place).bias is \(wanted.bias) in the spec, \(stored.bias) in the weights")
      }
    }
    if let precision, precision != spec.precision.rawValue {
      found.append(
        "precision is \(spec.precision.rawValue) in the spec, \(precision) in the weights")
    }

    let data = spec.data
    switch task {
    case .classification:
      if data.targets != nil {
        found.append("the spec names regression targets, but the weights are a classifier's")
      }
    case .regression(let targets):
      if data.label != nil {
        found.append("the spec names a label column, but the weights predict regression targets")
      }
      if let wanted = data.targets, wanted != targets {
        found.append(
          "data.targets is \(wanted) in the spec, \(targets) in the weights")
      }
    }
    if let wanted = data.features, wanted != features {
      found.append("data.features is \(wanted) in the spec, \(features) in the weights")
    }
    if data.scale != preprocessing.scale {
      found.append(
        "data.scale is \(data.scale.map { "\($0)" } ?? "not set") in the spec, "
          + "\(preprocessing.scale.map { "\($0)" } ?? "not set") in the weights")
    }
    if data.standardize != (preprocessing.mean != nil) {
      found.append(
        "data.standardize is \(data.standardize) in the spec, but the weights were trained "
          + (data.standardize ? "without standardization" : "on standardized features"))
    }
    return found
  }

  /// A plan for `spec` that evaluates `rows` examples of these weights'
  /// features and task. Batch size and validation split do not matter here,
  /// so they are set to what any row count accepts.
  func plan(for spec: Spec, rows: Int) throws -> Plan {
    var spec = spec
    spec.data.validation = nil
    spec.training.patience = nil
    spec.training.checkpoint = nil
    spec.optimizer.batchSize = .full
    let shape = DataShape(
      trainCount: max(1, min(rows, Planner.defaultEvaluationRows)), testCount: rows,
      featureNames: features, task: task)
    let plan = try Planner.plan(spec, shape: shape)

    var found: [String] = []
    if let objective, objective != plan.objective.rawValue {
      found.append(
        "the spec's loss and output make \(plan.objective.rawValue), the weights "
          + "were trained for \(objective)")
    }
    for block in plan.parameters.blocks {
      guard let tensor = tensors[block.name] else {
        found.append("\(block.name) \(block.shape) is missing from the weights")
        continue
      }
      if tensor.shape != block.shape {
        found.append("\(block.name) is \(tensor.shape) in the weights, \(block.shape) in the spec")
      }
    }
    let expected = Set(plan.parameters.blocks.map(\.name))
    for name in tensors.keys.sorted() where !expected.contains(name) {
      found.append("\(name) is in the weights but not in the spec")
    }
    guard found.isEmpty else { throw mismatch(found, spec: spec) }
    return plan
  }

  func mismatch(_ differences: [String], spec: Spec) -> ModelFileError {
    ModelFileError(
      file: path,
      message: "the weights do not match \(spec.file): " + differences.joined(separator: "; "))
  }

  /// A network for `plan` holding these weights.
  func network<S: Scalar>(_ plan: Plan, as _: S.Type) -> Network<S> {
    let arena = Arena<S>(plan: plan)
    for block in plan.parameters.blocks {
      // `plan(for:rows:)` checked that every block's tensor is there, in shape.
      guard let tensor = tensors[block.name] else { continue }
      for i in 0..<block.count { arena.parameters[block.offset + i] = S(tensor.values[i]) }
    }
    return Network(plan: plan, arena: arena)
  }

  /// Notes (not errors) when the spec file or overrides differ from those the
  /// weights were trained with: a changed comment or epoch count is harmless.
  func notes(specFile: String, overrides: [SpecOverride]) -> [String] {
    var notes: [String] = []
    if let specHash, let now = try? SHA256.hex(ofFile: specFile), now != specHash {
      notes.append(
        "nnc: note: \(specFile) has changed since \(path) was trained (its SHA-256 differs)")
    }
    if overrides.map(\.description) != self.overrides {
      let then = self.overrides.isEmpty ? "none" : self.overrides.joined(separator: " ")
      notes.append("nnc: note: \(path) was trained with the overrides: \(then)")
    }
    return notes
  }
}

/// A spec and its trained weights, checked against each other, ready to run
/// forward on new rows.
struct TrainedModel {
  var spec: Spec
  var weights: WeightsFile

  /// Reads the spec (with overrides) and the weights and checks they match.
  static func load(
    spec specFile: String, overrides: [SpecOverride], weights weightsFile: String
  ) throws -> TrainedModel {
    let decoded = try SpecReader.load(path: specFile, overrides: overrides)
    let weights = try WeightsFile(path: weightsFile)
    let differences = weights.differences(from: decoded.spec)
    guard differences.isEmpty else { throw weights.mismatch(differences, spec: decoded.spec) }
    for note in weights.notes(specFile: specFile, overrides: overrides) { printError(note) }
    return TrainedModel(spec: decoded.spec, weights: weights)
  }

  /// The rows of `source` as the model sees them, preprocessed as in training.
  func examples<S: Scalar>(
    _ source: DataSource, answers: Bool, as _: S.Type
  ) throws -> Examples<S> {
    try ModelInput.read(
      source, features: weights.features, task: weights.task, label: spec.data.label,
      answers: answers, preprocessing: weights.preprocessing, as: S.self)
  }

  /// Runs `examples` forward in batches, handing `body` each batch's first
  /// row, row count, most likely classes (classifiers; from the logits, as
  /// training counts them) and outputs: probabilities or predicted values.
  static func forEachBatch<S: Scalar>(
    _ network: Network<S>, _ examples: Examples<S>,
    _ body: (_ start: Int, _ rows: Int, _ classes: [Int], _ outputs: UnsafePointer<S>) -> Void
  ) {
    let plan = network.plan
    let K = plan.outputWidth
    examples.features.withUnsafeBufferPointer { features in
      var start = 0
      while start < examples.count {
        let rows = min(plan.evaluationBatchSize, examples.count - start)
        network.forward(input: features.baseAddress! + start * examples.width, rows: rows)
        var classes: [Int] = []
        let z = network.outputs
        switch plan.objective {
        case .softmaxCrossEntropy:
          // The first largest logit, as the loss kernel counts a hit.
          for row in 0..<rows {
            var best = 0
            for k in 1..<K where z[row * K + k] > z[row * K + best] { best = k }
            classes.append(best)
          }
        case .sigmoidCrossEntropy:
          for row in 0..<rows { classes.append(z[row] >= 0 ? 1 : 0) }
        case .quadratic:
          break
        }
        network.finishOutput(rows: rows, labels: nil, targets: nil, writeDeltas: false)
        body(start, rows, classes, UnsafePointer(network.outputs))
        start += rows
      }
    }
  }
}

/// A weights file that cannot be used with the spec: exit code 3, like a
/// data file that does not fit.
struct ModelFileError: Error, CustomStringConvertible {
  var file: String
  var message: String
  var description: String { "\(file): error: \(message)" }
}

/// `text` as one CSV field: quoted when it holds a comma, quote or line break.
func csvField(_ text: String) -> String {
  guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
    return text
  }
  return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
