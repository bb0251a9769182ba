import COpenBLAS
import Foundation
import Planner
import Runtime
import SpecParser

/// What a run was made from, written to `run.json`: the resolved spec, the
/// hashes of the spec file and of each data file, the overrides, the nnc
/// version, and the machine and thread count. No clock time is recorded, so
/// two runs on one machine write the same bytes and `git diff` shows only
/// what changed.
struct RunRecord {
  var specFile: String
  var specHash: String
  var overrides: [SpecOverride]
  /// The spec with every default filled in (see `ResolvedSpec`).
  var spec: JSONValue
  /// `data.train.csv` → {path, sha256, bytes}, one entry per data file.
  var data: [String: JSONValue]
  var threads: Int
  var machine: JSONValue
  /// Set by `--resume`: where the checkpoint the run continued from was taken.
  var resumedFrom: (epoch: Int, step: Int)?

  /// Hashes the spec file and every data file it names.
  /// - Throws: `OutputError` when a file cannot be read for hashing (it was
  ///   read a moment ago, so this means it vanished in between).
  init(_ compiled: Compiled, specFile: String, overrides: [SpecOverride], threads: Int) throws {
    self.specFile = specFile
    self.overrides = overrides
    self.threads = threads
    specHash = try Self.hash(specFile)
    spec = ResolvedSpec.json(compiled.spec, plan: compiled.plan)
    data = [:]
    for (key, path) in ResolvedSpec.dataFiles(compiled.spec.data) {
      let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int
      data[key] = .object([
        "path": .string(path), "sha256": .string(try Self.hash(path)),
        "bytes": size.map { .integer($0) } ?? .null,
      ])
    }
    machine = Machine.json()
  }

  static func hash(_ path: String) throws -> String {
    do {
      return try SHA256.hex(ofFile: path)
    } catch {
      throw OutputError(message: "cannot read \(path) to hash it: \(RunDirectory.reason(error))")
    }
  }

  var json: JSONValue {
    var root: [String: JSONValue] = [
      "nnc_version": .string(nncVersion),
      "spec_file": .string(specFile),
      "spec_sha256": .string(specHash),
      "overrides": .array(overrides.map { .string($0.description) }),
      "spec": spec,
      "data": .object(data),
      "threads": .integer(threads),
      "machine": machine,
    ]
    if let resumedFrom {
      root["resumed_from"] = .object([
        "epoch": .integer(resumedFrom.epoch), "step": .integer(resumedFrom.step),
      ])
    }
    return .object(root)
  }

  /// The strings a checkpoint carries so that `--resume` can check it
  /// continues the same run.
  var checkpointMetadata: [String: String] {
    [
      "spec": spec.compact(), "data": JSONValue.object(data).compact(),
      "nnc_version": nncVersion,
    ]
  }

  /// Why `checkpoint` cannot continue this run: every resolved spec value
  /// and data hash that differs, by key path. The epoch limit, the
  /// checkpoint interval and the thread count may change between the two.
  func differences(from checkpoint: [String: String]) -> [String] {
    guard let specText = checkpoint["spec"], let dataText = checkpoint["data"],
      let savedSpec = try? JSONValue.parse(specText),
      let savedData = try? JSONValue.parse(dataText)
    else { return ["the checkpoint does not record its spec and data"] }
    let free: Set = ["training.epochs", "training.checkpoint", "threads"]
    var differences: [String] = []
    let now = Self.leaves(spec)
    let then = Self.leaves(savedSpec)
    for key in Set(now.keys).union(then.keys).sorted() where !free.contains(key) {
      let (a, b) = (then[key] ?? "nothing", now[key] ?? "nothing")
      if a != b { differences.append("\(key) is \(a) in the checkpoint but \(b) now") }
    }
    let hashesNow = data.mapValues { $0.objectValue?["sha256"] }
    let hashesThen = (savedData.objectValue ?? [:]).mapValues { $0.objectValue?["sha256"] }
    for key in Set(hashesNow.keys).union(hashesThen.keys).sorted()
    where hashesNow[key] != hashesThen[key] {
      differences.append("the file of \(key) has changed since the checkpoint")
    }
    return differences
  }

  /// Every scalar of `value` by key path (`model.layers[1].units`), rendered compactly.
  static func leaves(_ value: JSONValue, path: String = "") -> [String: String] {
    switch value {
    case .object(let members):
      var result: [String: String] = [:]
      for (key, member) in members {
        result.merge(leaves(member, path: path.isEmpty ? key : "\(path).\(key)")) { a, _ in a }
      }
      return result
    case .array(let items) where items.contains(where: { $0.objectValue != nil }):
      var result: [String: String] = [:]
      for (index, item) in items.enumerated() {
        result.merge(leaves(item, path: "\(path)[\(index)]")) { a, _ in a }
      }
      return result
    default:
      return [path: value.compact()]
    }
  }
}

/// A `Spec` written back out with every default filled in: the keys of the
/// spec format, so the record reads like the spec it came from.
enum ResolvedSpec {
  static func json(_ spec: Spec, plan: Plan) -> JSONValue {
    func optional(_ value: Double?) -> JSONValue { value.map { .number($0) } ?? .null }
    func optional(_ value: Int?) -> JSONValue { value.map { .integer($0) } ?? .null }
    func strings(_ values: [String]?) -> JSONValue {
      values.map { .array($0.map { .string($0) }) } ?? .null
    }
    func source(_ source: DataSource?) -> JSONValue {
      switch source {
      case .none: .null
      case .csv(let path): .object(["csv": .string(path)])
      case .idx(let images, let labels):
        .object(["images": .string(images), "labels": .string(labels)])
      }
    }
    let data = spec.data
    var isCSV = false
    if case .csv = data.train { isCSV = true }

    var optimizer: [String: JSONValue] = [
      "kind": .string(spec.optimizer.kind.rawValue),
      "learning_rate": .number(spec.optimizer.learningRate),
      "schedule": schedule(spec.optimizer.schedule),
    ]
    switch spec.optimizer.batchSize {
    case .full: optimizer["batch_size"] = .string("full")
    case .examples(let rows): optimizer["batch_size"] = .integer(rows)
    }
    switch spec.optimizer.kind {
    case .sgd:
      optimizer["momentum"] = .number(spec.optimizer.momentum)
      optimizer["nesterov"] = .bool(spec.optimizer.nesterov)
    case .adam:
      optimizer["beta1"] = .number(spec.optimizer.beta1)
      optimizer["beta2"] = .number(spec.optimizer.beta2)
      optimizer["epsilon"] = .number(spec.optimizer.epsilon)
    case .newton:
      break
    }

    return .object([
      "name": .string(spec.name),
      // JSON integers here are Int; a seed above Int.max is kept exact as text.
      "seed": Int(exactly: plan.seed).map { .integer($0) } ?? .string(String(plan.seed)),
      "precision": .string(spec.precision.rawValue),
      "threads": optional(spec.threads),
      "data": .object([
        "train": source(data.train), "test": source(data.test),
        "label": data.label.map { .string($0) } ?? .null,
        "targets": strings(data.targets),
        // The default (every other column) is spelt out for CSV; IDX has no columns.
        "features": isCSV ? strings(plan.featureNames) : .null,
        "scale": optional(data.scale), "standardize": .bool(data.standardize),
        "validation": optional(data.validation),
      ]),
      "model": .object([
        "layers": .array(
          spec.model.layers.map {
            .object([
              "units": .integer($0.units), "activation": .string($0.activation.rawValue),
              "bias": .bool($0.bias),
            ])
          })
      ]),
      "loss": .string(spec.loss.rawValue),
      "regularization": .object(["l2": .number(spec.regularization.l2)]),
      "optimizer": .object(optimizer),
      "training": .object([
        "epochs": .integer(spec.training.epochs),
        "tolerance": optional(spec.training.tolerance),
        "loss_tolerance": optional(spec.training.lossTolerance),
        "patience": optional(spec.training.patience),
        "checkpoint": optional(spec.training.checkpoint),
      ]),
    ])
  }

  static func schedule(_ schedule: Schedule) -> JSONValue {
    switch schedule {
    case .constant:
      .object(["kind": .string("constant")])
    case .inverse(let gamma, let power):
      .object(["kind": .string("inverse"), "gamma": .number(gamma), "power": .number(power)])
    case .step(let every, let factor):
      .object(["kind": .string("step"), "every": .integer(every), "factor": .number(factor)])
    case .exponential(let gamma):
      .object(["kind": .string("exponential"), "gamma": .number(gamma)])
    }
  }

  /// Each data file by the key path that names it: `data.train.csv`,
  /// `data.test.images`, …
  static func dataFiles(_ data: DataSpec) -> [(String, String)] {
    var files: [(String, String)] = []
    for (set, source) in [("train", data.train), ("test", data.test)] {
      switch source {
      case .none: break
      case .csv(let path): files.append(("data.\(set).csv", path))
      case .idx(let images, let labels):
        files.append(("data.\(set).images", images))
        files.append(("data.\(set).labels", labels))
      }
    }
    return files
  }
}

/// The machine a run trained on, as far as it can change the numbers: the
/// CPU (which OpenBLAS kernels run), the OpenBLAS build, the OS.
enum Machine {
  static func json() -> JSONValue {
    var system = utsname()
    uname(&system)
    func text<T>(_ field: T) -> String {
      withUnsafeBytes(of: field) { bytes in
        String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
    }
    let openBLAS = openblas_get_config().map { String(cString: $0) } ?? "unknown"
    return .object([
      "os": .string("\(text(system.sysname)) \(text(system.release))"),
      "architecture": .string(text(system.machine)),
      "cpu": .string(cpuModel() ?? "unknown"),
      "logical_cpus": .integer(ProcessInfo.processInfo.activeProcessorCount),
      "openblas": .string(openBLAS),
    ])
  }

  /// The first "model name" of /proc/cpuinfo (Linux), if there is one.
  static func cpuModel() -> String? {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
      return nil
    }
    for line in info.split(separator: "\n") where line.hasPrefix("model name") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return nil
  }

  /// The thread count OpenBLAS uses now.
  static var blasThreads: Int { Int(openblas_get_num_threads()) }
}
