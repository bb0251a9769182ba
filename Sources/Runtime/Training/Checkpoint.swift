import Foundation
import Planner

/// How far a run has come: the epoch and step it is at, the sums of the epoch
/// in progress, what the stopping rules remember, and the epochs recorded so
/// far. With θ, the optimizer's state, the row order and the shuffle stream,
/// it is all a run needs to continue exactly.
public struct TrainingProgress: Sendable, Equatable {
  /// The epoch in progress, or the next one when `nextRow` is 0 (0-based).
  /// Equal to `history.count`: each finished epoch adds one record.
  public var epoch = 0
  /// First row (in the epoch's order) of the next step; 0 before the epoch's
  /// first step, when it has not been shuffled yet.
  public var nextRow = 0
  /// Steps taken in the epoch in progress.
  public var step = 0
  /// Σ of the epoch's step losses and correctly classified rows so far.
  public var lossTotal = 0.0
  public var correctTotal = 0
  /// Early stopping: the best validation loss and the epochs since it.
  public var bestLoss = Double.infinity
  public var epochsSinceBest = 0
  /// Loss tolerance: the previous epoch's training loss.
  public var previousLoss: Double?
  public var history: [EpochRecord] = []

  public init() {}
}

/// What a caller adds to `Trainer.run`: checkpoints every few epochs, a way
/// to stop between two steps, and a call after every step (for a progress
/// bar). The defaults add nothing.
public struct TrainingControl<S: Scalar> {
  /// Epochs between checkpoints; `nil` for none (an interruption still makes one).
  public var checkpointEvery: Int?
  /// Receives each checkpoint: every `checkpointEvery` epochs, and once when
  /// `shouldStop` ends the run.
  public var onCheckpoint: (TrainingCheckpoint<S>) -> Void
  /// Asked after every step but an epoch's last, and between epochs; `true`
  /// ends the run there with stop reason `interrupted`.
  public var shouldStop: () -> Bool
  /// Called after every minibatch step with the steps taken in the epoch and
  /// the epoch's step count.
  public var onStep: (Int, Int) -> Void

  public init(
    checkpointEvery: Int? = nil,
    onCheckpoint: @escaping (TrainingCheckpoint<S>) -> Void = { _ in },
    shouldStop: @escaping () -> Bool = { false },
    onStep: @escaping (Int, Int) -> Void = { _, _ in }
  ) {
    self.checkpointEvery = checkpointEvery
    self.onCheckpoint = onCheckpoint
    self.shouldStop = shouldStop
    self.onStep = onStep
  }
}

/// A checkpoint that cannot be read, or does not fit the trainer it is
/// restored into.
public struct CheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
  public var file: String
  public var message: String

  public init(file: String, message: String) {
    self.file = file
    self.message = message
  }

  public var description: String { "\(file): error: \(message)" }
}

/// The whole state of a training run between two steps.
///
/// Stored as a safetensors file, so any safetensors reader can open it:
///
/// | tensor            | dtype   | shape  | holds                                   |
/// |-------------------|---------|--------|-----------------------------------------|
/// | `parameters`      | F32/F64 | [P]    | θ                                       |
/// | `optimizer_state` | F32/F64 | [V, P] | velocity, or Adam's m and v (V > 0 only) |
/// | `epoch_start`     | F32/F64 | [P]    | θ when the epoch in progress began      |
/// | `best`            | F32/F64 | [P]    | θ at the best validation loss (patience only) |
/// | `order`           | I32     | [n]    | the epoch's row order                   |
/// | `history`         | F64     | [E, 17]| the finished epochs' records            |
///
/// Scalars go in the string metadata: integers in decimal, doubles in their
/// shortest round-trip form (which reads back to the same bits), the shuffle
/// stream's four state words in hexadecimal. The caller's own entries are
/// kept under `run.` keys.
public struct TrainingCheckpoint<S: Scalar>: Sendable {
  public var progress: TrainingProgress
  public var optimizerStep: Int
  /// The shuffle stream's state (`RandomStream.state`). The init and split
  /// streams are used up before the first step and re-derived from the seed.
  public var shuffleState: [UInt64]
  public var parameters: [S]
  public var optimizerState: [S]
  public var epochStart: [S]
  public var best: [S]
  public var order: [Int32]
  /// The caller's strings: which spec, data and program made the run.
  public var metadata: [String: String]
}

// MARK: - Taking and restoring

extension Trainer {
  /// The run's state now, between two steps.
  public func checkpoint(metadata: [String: String] = [:]) -> TrainingCheckpoint<S> {
    TrainingCheckpoint(
      progress: progress, optimizerStep: optimizer.step, shuffleState: shuffler.state,
      parameters: Array(network.arena.parameters), optimizerState: Array(network.arena.state),
      epochStart: Array(epochStart), best: Array(best), order: Array(order),
      metadata: metadata)
  }

  /// Puts this trainer in the state `checkpoint` was taken in, so that `run`
  /// continues the run exactly. The trainer must have been built from the
  /// same plan and data; every size and index is checked, since the
  /// checkpoint is read from a file.
  public func restore(_ checkpoint: TrainingCheckpoint<S>, file: String) throws(CheckpointError) {
    func fail(_ message: String) -> CheckpointError {
      CheckpointError(file: file, message: message)
    }
    let count = plan.parameters.count
    let sizes: [(String, Int, Int)] = [
      ("parameters", checkpoint.parameters.count, count),
      ("optimizer_state", checkpoint.optimizerState.count, network.arena.state.count),
      ("epoch_start", checkpoint.epochStart.count, count),
      ("best", checkpoint.best.count, best.count),
      ("order", checkpoint.order.count, train.count),
    ]
    for (name, found, expected) in sizes where found != expected {
      throw fail(
        "\(name) holds \(found) values but this model and data need \(expected); "
          + "the checkpoint was made for another model or data set")
    }
    var seen = [Bool](repeating: false, count: train.count)
    for row in checkpoint.order {
      guard row >= 0, Int(row) < train.count, !seen[Int(row)] else {
        throw fail("the row order is not a permutation of the \(train.count) training rows")
      }
      seen[Int(row)] = true
    }
    guard let stream = RandomStream(state: checkpoint.shuffleState) else {
      throw fail("the shuffle stream's state is invalid")
    }
    let progress = checkpoint.progress
    guard progress.epoch >= 0, progress.history.count == progress.epoch,
      progress.nextRow >= 0, progress.nextRow < max(train.count, 1), progress.step >= 0,
      progress.nextRow == 0 || newton == nil, checkpoint.optimizerStep >= 0,
      progress.epochsSinceBest >= 0
    else {
      throw fail(
        "its progress is inconsistent (epoch \(progress.epoch), "
          + "\(progress.history.count) recorded epochs, next row \(progress.nextRow))")
    }

    _ = network.arena.parameters.update(fromContentsOf: checkpoint.parameters)
    _ = network.arena.state.update(fromContentsOf: checkpoint.optimizerState)
    _ = epochStart.update(fromContentsOf: checkpoint.epochStart)
    _ = best.update(fromContentsOf: checkpoint.best)
    _ = order.update(fromContentsOf: checkpoint.order)
    shuffler = stream
    optimizer.step = checkpoint.optimizerStep
    self.progress = progress
  }
}

// MARK: - File format

extension TrainingCheckpoint {
  private static var formatVersion: String { "1" }
  private static var historyColumns: Int { 17 }

  /// The checkpoint as safetensors bytes.
  public func encoded() -> Data {
    var strings: [String: String] = [
      "format": "nnc-checkpoint", "format_version": Self.formatVersion,
      "epoch": String(progress.epoch), "next_row": String(progress.nextRow),
      "step": String(progress.step), "loss_total": "\(progress.lossTotal)",
      "correct_total": String(progress.correctTotal), "best_loss": "\(progress.bestLoss)",
      "epochs_since_best": String(progress.epochsSinceBest),
      "optimizer_step": String(optimizerStep),
      "shuffle_state": shuffleState.map { String($0, radix: 16) }.joined(separator: ","),
    ]
    if let previous = progress.previousLoss { strings["previous_loss"] = "\(previous)" }
    for (key, value) in metadata { strings["run." + key] = value }

    var tensors: [(name: String, dtype: String, shape: [Int], bytes: Data)] = []
    func add<T>(_ name: String, _ dtype: String, _ shape: [Int], _ values: [T]) {
      tensors.append((name, dtype, shape, values.withUnsafeBytes { Data($0) }))
    }
    let count = parameters.count
    add("parameters", S.safetensorsType, [count], parameters)
    if !optimizerState.isEmpty {
      add(
        "optimizer_state", S.safetensorsType, [optimizerState.count / max(count, 1), count],
        optimizerState)
    }
    add("epoch_start", S.safetensorsType, [count], epochStart)
    if !best.isEmpty { add("best", S.safetensorsType, [best.count], best) }
    add("order", "I32", [order.count], order)
    if !progress.history.isEmpty {
      add(
        "history", "F64", [progress.history.count, Self.historyColumns],
        progress.history.flatMap(Self.row))
    }

    var header: [String: JSONValue] = ["__metadata__": .object(strings.mapValues { .string($0) })]
    var offset = 0
    for tensor in tensors {
      header[tensor.name] = .object([
        "dtype": .string(tensor.dtype), "shape": .array(tensor.shape.map { .integer($0) }),
        "data_offsets": .array([.integer(offset), .integer(offset + tensor.bytes.count)]),
      ])
      offset += tensor.bytes.count
    }
    var json = Array(JSONValue.object(header).compact().utf8)
    // Pad the header with spaces so the tensor data starts 8-byte aligned.
    while json.count % 8 != 0 { json.append(0x20) }
    var data = Data(capacity: 8 + json.count + offset)
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: json)
    for tensor in tensors { data.append(tensor.bytes) }
    return data
  }

  /// Reads a checkpoint written by `encoded()`. Every size, offset and value
  /// is checked: a truncated or foreign file is an error, never a trap.
  public init(decoding encoded: Data, file: String) throws(CheckpointError) {
    func fail(_ message: String) -> CheckpointError {
      CheckpointError(file: file, message: message)
    }
    let bytes = Data(encoded)  // indices from 0
    let header: [String: Safetensors.Entry]
    let strings: [String: String]
    do {
      (header, strings) = try Safetensors.entries(bytes, file: file)
    } catch {
      throw fail(error.message)
    }
    guard strings["format"] == "nnc-checkpoint" else {
      throw fail("it is not an nnc checkpoint")
    }
    guard strings["format_version"] == Self.formatVersion else {
      throw fail(
        "it has checkpoint format \(strings["format_version"] ?? "?"); this nnc reads "
          + Self.formatVersion)
    }

    /// The raw bytes of tensor `name`, checked to be `dtype`; `nil` when
    /// absent and not `required`.
    func tensor(
      _ name: String, dtype: String, required: Bool = true
    ) throws(CheckpointError) -> (shape: [Int], bytes: Data)? {
      guard let entry = header[name] else {
        if required { throw fail("tensor '\(name)' is missing") }
        return nil
      }
      guard entry.dtype == dtype else {
        throw fail(
          "tensor '\(name)' is \(entry.dtype), not \(dtype)"
            + (dtype == S.safetensorsType ? ": the checkpoint was made at another precision" : ""))
      }
      return (entry.shape, bytes[entry.bytes])
    }
    func values<T>(_ data: Data, as type: T.Type) -> [T] {
      Safetensors.elements(of: data, as: type)
    }
    func integer(_ key: String) throws(CheckpointError) -> Int {
      guard let text = strings[key], let value = Int(text) else {
        throw fail("metadata '\(key)' is missing or not an integer")
      }
      return value
    }
    func real(_ key: String) throws(CheckpointError) -> Double {
      guard let text = strings[key], let value = Double(text) else {
        throw fail("metadata '\(key)' is missing or not a number")
      }
      return value
    }

    guard let theta = try tensor("parameters", dtype: S.safetensorsType),
      let start = try tensor("epoch_start", dtype: S.safetensorsType),
      let rows = try tensor("order", dtype: "I32")
    else { throw fail("a required tensor is missing") }
    parameters = values(theta.bytes, as: S.self)
    epochStart = values(start.bytes, as: S.self)
    order = values(rows.bytes, as: Int32.self)
    optimizerState =
      try tensor("optimizer_state", dtype: S.safetensorsType, required: false)
      .map { values($0.bytes, as: S.self) } ?? []
    best =
      try tensor("best", dtype: S.safetensorsType, required: false)
      .map { values($0.bytes, as: S.self) } ?? []

    var history: [EpochRecord] = []
    if let table = try tensor("history", dtype: "F64", required: false) {
      guard table.shape.count == 2, table.shape[1] == Self.historyColumns else {
        throw fail("tensor 'history' has shape \(table.shape), not [epochs, 17]")
      }
      let cells = values(table.bytes, as: Double.self)
      for start in stride(from: 0, to: cells.count, by: Self.historyColumns) {
        guard let record = Self.record(cells[start..<start + Self.historyColumns]) else {
          throw fail("history row \(start / Self.historyColumns) is malformed")
        }
        history.append(record)
      }
    }

    let words = (strings["shuffle_state"] ?? "").split(separator: ",").compactMap {
      UInt64($0, radix: 16)
    }
    guard words.count == 4 else { throw fail("metadata 'shuffle_state' is not four words") }
    shuffleState = words
    optimizerStep = try integer("optimizer_step")
    progress = TrainingProgress()
    progress.epoch = try integer("epoch")
    progress.nextRow = try integer("next_row")
    progress.step = try integer("step")
    progress.lossTotal = try real("loss_total")
    progress.correctTotal = try integer("correct_total")
    progress.bestLoss = try real("best_loss")
    progress.epochsSinceBest = try integer("epochs_since_best")
    progress.previousLoss = strings["previous_loss"] == nil ? nil : try real("previous_loss")
    progress.history = history
    metadata = [:]
    for (key, value) in strings where key.hasPrefix("run.") {
      metadata[String(key.dropFirst(4))] = value
    }
  }

  // MARK: History rows

  // Columns: epoch, learning rate, train loss, train accuracy, weight change,
  // seconds, presence bits, then count, loss, accuracy, MSE and R² for the
  // validation and the test set. An absent value is 0 with its bit clear.
  private static func row(_ record: EpochRecord) -> [Double] {
    var bits = 0
    func present(_ value: Double?, _ bit: Int) -> Double {
      guard let value else { return 0 }
      bits |= 1 << bit
      return value
    }
    func evaluation(_ evaluation: Evaluation?, _ bit: Int) -> [Double] {
      guard let evaluation else { return [0, 0, 0, 0, 0] }
      bits |= 1 << bit
      return [
        Double(evaluation.count), evaluation.loss, present(evaluation.accuracy, bit + 1),
        present(evaluation.meanSquaredError, bit + 2), present(evaluation.r2, bit + 3),
      ]
    }
    var cells = [
      Double(record.epoch), record.learningRate, record.trainLoss,
      present(record.trainAccuracy, 0), record.weightChange, record.seconds,
    ]
    let validation = evaluation(record.validation, 1)
    let test = evaluation(record.test, 5)
    cells.append(Double(bits))
    return cells + validation + test
  }

  private static func record(_ cells: ArraySlice<Double>) -> EpochRecord? {
    let c = Array(cells)
    guard let epoch = Int(exactly: c[0]), let bits = Int(exactly: c[6]) else { return nil }
    func present(_ value: Double, _ bit: Int) -> Double? {
      bits & (1 << bit) != 0 ? value : nil
    }
    var malformed = false
    func evaluation(_ at: Int, _ bit: Int) -> Evaluation? {
      guard bits & (1 << bit) != 0 else { return nil }
      guard let count = Int(exactly: c[at]), count >= 0 else {
        malformed = true
        return nil
      }
      return Evaluation(
        count: count, loss: c[at + 1], accuracy: present(c[at + 2], bit + 1),
        meanSquaredError: present(c[at + 3], bit + 2), r2: present(c[at + 4], bit + 3))
    }
    let validation = evaluation(7, 1)
    let test = evaluation(12, 5)
    guard !malformed else { return nil }
    return EpochRecord(
      epoch: epoch, learningRate: c[1], trainLoss: c[2], trainAccuracy: present(c[3], 0),
      weightChange: c[4], validation: validation, test: test, seconds: c[5])
  }
}
