import Foundation
import Planner
import SpecParser

/// Why training ended; written to `metrics.json` as the raw value.
public enum StopReason: String, Sendable, Equatable {
  /// The epoch (Newton: iteration) limit was reached without meeting a tolerance.
  case epochLimit = "epoch_limit"
  /// ‖θ⁽ᵗ⁺¹⁾ − θ⁽ᵗ⁾‖∞ fell below `training.tolerance`; or, for Newton's
  /// method, no step along the Newton direction lowers J any more, so θ is the
  /// minimum to within rounding and stops changing.
  case weightsConverged = "weights_converged"
  /// The relative change of the training loss fell below `training.loss_tolerance`.
  case lossConverged = "loss_converged"
  /// The validation loss did not improve for `training.patience` epochs.
  case earlyStopping = "early_stopping"
  /// A logistic or softmax regression without L2 on training data its layer
  /// separates: the loss has no minimum, and more epochs would only drive the
  /// weights further without bound (see `Separability`).
  case separable
  /// The loss or a parameter became NaN or infinite.
  case diverged
  /// `TrainingControl.shouldStop` asked to stop (Ctrl-C); the trainer holds
  /// the state to checkpoint and continue from.
  case interrupted
}

/// One epoch's figures, as printed and written to `history.csv`.
public struct EpochRecord: Sendable, Equatable {
  public var epoch: Int
  public var learningRate: Double
  /// Mean data loss over the epoch's steps, each at the weights it started from.
  public var trainLoss: Double
  /// Classifiers trained by minibatch steps: the fraction of the epoch's rows
  /// classified right at the weights their step started from.
  public var trainAccuracy: Double?
  /// ‖θ_after − θ_before‖∞ over the epoch.
  public var weightChange: Double
  public var validation: Evaluation?
  public var test: Evaluation?
  public var seconds: Double
}

/// Where a run went non-finite, so the message can point at it.
public struct Divergence: Error, Sendable, Equatable {
  public var epoch: Int
  public var step: Int
  /// The first layer whose activations or parameters hold a non-finite value.
  public var layer: Int?
  public var quantity: String
}

public struct TrainingOutcome: Sendable, Equatable {
  public var stopReason: StopReason
  public var epochs: Int
  public var history: [EpochRecord]
  public var divergence: Divergence?
}

/// Trains a plan on loaded data: splits off validation rows, initializes the
/// parameters, and runs the epochs. Every buffer is allocated here, before the
/// first step; the step loop allocates nothing.
public final class Trainer<S: Scalar> {
  public let plan: Plan
  public let network: Network<S>
  public let train: Examples<S>
  public let validation: Examples<S>?
  public let test: Examples<S>?
  // Internal rather than private: Checkpoint.swift saves and restores them.
  var optimizer: Optimizer<S>
  var shuffler: RandomStream
  /// Row order of the current epoch.
  let order: UnsafeMutableBufferPointer<Int32>
  /// θ at the start of the epoch: the weight change, and the last good
  /// weights to return to if the epoch diverges.
  let epochStart: UnsafeMutableBufferPointer<S>
  /// θ with the best validation loss so far (early stopping only).
  let best: UnsafeMutableBufferPointer<S>
  /// How far the run has come; with the buffers above, what a checkpoint holds.
  public internal(set) var progress = TrainingProgress()
  /// Newton's method's copy of the design matrix (Newton plans only).
  let newton: NewtonSolver?

  public init(plan: Plan, data: LoadedData<S>) {
    self.plan = plan
    let arena = Arena<S>(plan: plan)
    network = Network(plan: plan, arena: arena)
    optimizer = Optimizer(plan: plan)
    shuffler = RandomStream(seed: plan.seed, stream: "shuffle")
    (train, validation) = Self.split(
      data.train, validationCount: plan.examples.validation,
      seed: plan.seed)
    test = data.test
    order = .allocate(capacity: train.count)
    for i in 0..<train.count { order[i] = Int32(i) }
    epochStart = .allocate(capacity: plan.parameters.count)
    epochStart.initialize(repeating: 0)
    best = .allocate(capacity: plan.training.patience == nil ? 0 : plan.parameters.count)
    best.initialize(repeating: 0)
    newton = plan.optimizer.kind == .newton ? NewtonSolver(plan: plan, train: train) : nil
    initializeParameters()
  }

  deinit {
    order.deallocate()
    epochStart.deallocate()
    best.deallocate()
  }

  // MARK: - Set-up

  /// Moves a seeded random `validationCount` rows out of the training set.
  private static func split(_ all: Examples<S>, validationCount: Int, seed: UInt64)
    -> (Examples<S>, Examples<S>?)
  {
    guard validationCount > 0 else { return (all, nil) }
    var rows = Array(0..<all.count)
    var stream = RandomStream(seed: seed, stream: "split")
    rows.withUnsafeMutableBufferPointer { stream.shuffle($0) }
    let held = rows.suffix(validationCount).sorted()
    let kept = rows.prefix(all.count - validationCount).sorted()
    return (all.selecting(kept), all.selecting(held))
  }

  /// Single-layer models (convex) start from zero, as the references do.
  /// Networks draw W_l uniformly: He's bound √(6/m_{l−1}) under ReLU, Glorot's
  /// √(6/(m_{l−1} + m_l)) otherwise, so activations keep their scale with depth.
  /// Biases start at zero.
  private func initializeParameters() {
    let arena = network.arena
    for i in 0..<arena.parameters.count { arena.parameters[i] = 0 }
    guard plan.layers.count > 1 else { return }
    var stream = RandomStream(seed: plan.seed, stream: "init")
    for layer in plan.layers {
      let fanIn = Double(layer.inputs)
      let bound =
        layer.activation == .relu
        ? (6 / fanIn).squareRoot() : (6 / (fanIn + Double(layer.outputs))).squareRoot()
      let w = arena.pointer(layer.weight)
      for i in 0..<layer.weight.count {
        w[i] = S((2 * stream.nextUnit() - 1) * bound)
      }
    }
  }

  // MARK: - Training

  /// Runs epochs until a stopping rule fires; calls `onEpoch` after each one.
  /// A trainer restored from a checkpoint continues exactly where it was
  /// taken. `control` adds periodic checkpoints, interruption and per-step
  /// progress.
  public func run(
    onEpoch: (EpochRecord) -> Void = { _ in }, control: TrainingControl<S> = TrainingControl()
  ) -> TrainingOutcome {
    // Capped: the epoch limit comes from the spec and may be far beyond what
    // a run reaches (stopping rules); the history grows past the cap if needed.
    progress.history.reserveCapacity(min(plan.training.epochs, 100_000))
    noDecrease = false
    var separability = SeparabilityWatch(plan: plan)
    let arena = network.arena
    let clock = ContinuousClock()

    while progress.epoch < plan.training.epochs {
      let epoch = progress.epoch
      let started = clock.now
      let eta = plan.optimizer.learningRate(epoch: epoch)
      // A run resumed inside an epoch has its start weights from the checkpoint.
      if progress.nextRow == 0 { _ = epochStart.update(fromContentsOf: arena.parameters) }

      let trainLoss: Double
      let trainAccuracy: Double?
      let result =
        newton.map { newtonStep($0, epoch: epoch, learningRate: eta) }
        ?? firstOrderEpoch(epoch: epoch, learningRate: eta, control: control)
      switch result {
      case .finished(let loss, let accuracy): (trainLoss, trainAccuracy) = (loss, accuracy)
      case .interrupted:
        control.onCheckpoint(checkpoint())
        return outcome(.interrupted)
      case .diverged(let divergence):
        _ = arena.parameters.update(fromContentsOf: epochStart)
        return TrainingOutcome(
          stopReason: .diverged, epochs: epoch + 1, history: progress.history,
          divergence: divergence)
      }
      if newton != nil, noDecrease {
        // No step along the Newton direction lowers J: θ is the minimum to
        // within rounding, and the epoch changed nothing.
        return finish(.weightsConverged)
      }

      var change = 0.0
      for i in 0..<arena.parameters.count {
        change = max(change, abs(Double(arena.parameters[i]) - Double(epochStart[i])))
      }
      let record = EpochRecord(
        epoch: epoch + 1, learningRate: eta, trainLoss: trainLoss, trainAccuracy: trainAccuracy,
        weightChange: change, validation: validation.map { network.evaluate($0) },
        test: test.map { network.evaluate($0) },
        seconds: (clock.now - started).seconds)
      progress.history.append(record)
      onEpoch(record)
      if let reason = stoppingRule(after: record, separability: &separability) {
        return finish(reason)
      }

      progress.epoch += 1
      var saved = false
      if let every = control.checkpointEvery, progress.epoch % every == 0 {
        control.onCheckpoint(checkpoint())
        saved = true
      }
      if control.shouldStop() {
        if !saved { control.onCheckpoint(checkpoint()) }
        return outcome(.interrupted)
      }
    }
    return finish(.epochLimit)
  }

  /// The stopping rule that fires after `record`, in order of precedence,
  /// updating what the rules remember between epochs.
  private func stoppingRule(
    after record: EpochRecord, separability: inout SeparabilityWatch
  ) -> StopReason? {
    let trainLoss = record.trainLoss
    // The best validation weights are kept before any rule can end the run.
    if plan.training.patience != nil, let loss = record.validation?.loss {
      if loss < progress.bestLoss {
        progress.bestLoss = loss
        progress.epochsSinceBest = 0
        _ = best.update(fromContentsOf: network.arena.parameters)
      } else {
        progress.epochsSinceBest += 1
      }
    }
    // Separable data come first: on them a small weight change is slow
    // growth, not convergence.
    if separability.detects(network, train: train) { return .separable }
    if let tolerance = plan.training.tolerance, record.weightChange < tolerance {
      return .weightsConverged
    }
    if let tolerance = plan.training.lossTolerance, let previousLoss = progress.previousLoss,
      abs(trainLoss - previousLoss) / max(abs(previousLoss), 1e-300) < tolerance
    {
      return .lossConverged
    }
    progress.previousLoss = trainLoss
    if let patience = plan.training.patience, progress.epochsSinceBest >= patience {
      return .earlyStopping
    }
    return nil
  }

  private func finish(_ reason: StopReason) -> TrainingOutcome {
    // `bestLoss` is finite once early stopping has saved weights in `best`.
    if plan.training.patience != nil, progress.bestLoss.isFinite {
      // Early stopping keeps the weights with the best validation loss.
      _ = network.arena.parameters.update(fromContentsOf: best)
    }
    return outcome(reason)
  }

  private func outcome(_ reason: StopReason) -> TrainingOutcome {
    TrainingOutcome(
      stopReason: reason, epochs: progress.history.count, history: progress.history,
      divergence: nil)
  }

  /// How one epoch ended.
  private enum EpochResult {
    /// Mean data loss over the epoch (and, for minibatch classifiers, accuracy).
    case finished(loss: Double, accuracy: Double?)
    case diverged(Divergence)
    /// Stopped between two steps; `progress` says where.
    case interrupted
  }

  /// One pass over the training rows in shuffled minibatches, from
  /// `progress.nextRow` on (0 unless resumed inside the epoch).
  private func firstOrderEpoch(
    epoch: Int, learningRate eta: Double, control: TrainingControl<S>
  ) -> EpochResult {
    if progress.nextRow == 0, plan.batchSize < train.count { shuffler.shuffle(order) }
    let stepsPerEpoch = (train.count + plan.batchSize - 1) / plan.batchSize
    return withTrainingData { data in
      // Kept in locals through the loop and written back when it ends.
      var total = progress.lossTotal
      var correct = progress.correctTotal
      var start = progress.nextRow
      var step = progress.step
      while start < train.count {
        let rows = min(plan.batchSize, train.count - start)
        let sums = trainingStep(data, start: start, rows: rows, learningRate: eta)
        guard sums.loss.isFinite else {
          return .diverged(diverged(epoch: epoch, step: step, quantity: "loss"))
        }
        total += sums.loss
        correct += sums.correct
        start += rows
        step += 1
        control.onStep(step, stepsPerEpoch)
        // The last step of an epoch is followed by its evaluation, not a stop.
        if start < train.count, control.shouldStop() {
          (progress.lossTotal, progress.correctTotal) = (total, correct)
          (progress.nextRow, progress.step) = (start, step)
          return .interrupted
        }
      }
      if let bad = firstNonFiniteLayer(in: network.arena.parameters.baseAddress!) {
        return .diverged(
          Divergence(epoch: epoch + 1, step: step, layer: bad, quantity: "parameters"))
      }
      progress.lossTotal = 0
      progress.correctTotal = 0
      progress.nextRow = 0
      progress.step = 0
      let isClassifier = plan.objective != .quadratic
      return .finished(
        loss: total / Double(train.count),
        accuracy: isClassifier ? Double(correct) / Double(train.count) : nil)
    }
  }

  /// The training set's buffers, borrowed for the length of `body`.
  struct TrainingData {
    var features: UnsafePointer<S>
    var labels: UnsafePointer<Int32>?
    var targets: UnsafePointer<S>?
  }

  func withTrainingData<R>(_ body: (TrainingData) -> R) -> R {
    train.features.withUnsafeBufferPointer { features in
      train.labels.withUnsafeBufferPointer { labels in
        train.targets.withUnsafeBufferPointer { targets in
          body(
            TrainingData(
              features: features.baseAddress!, labels: labels.baseAddress,
              targets: targets.baseAddress))
        }
      }
    }
  }

  /// One minibatch step on the rows `order[start..<start + rows]`: gather,
  /// forward, loss, backward, and, if the loss is finite, the update.
  @inline(__always)
  func trainingStep(_ data: TrainingData, start: Int, rows: Int, learningRate eta: Double)
    -> LossSums
  {
    let arena = network.arena
    let sums: LossSums
    if rows == train.count {
      // One batch holding every row in order: read the data in place.
      sums = network.computeGradient(
        input: data.features, rows: rows, labels: data.labels, targets: data.targets)
    } else {
      // Gather the batch's rows into the arena's input (and label or target)
      // buffers, so that each GEMM reads one contiguous matrix.
      let width = train.width
      let K = plan.arena.targets.columns
      let input = arena.pointer(plan.arena.input)
      let targets = arena.pointer(plan.arena.targets)
      for r in 0..<rows {
        let source = Int(order[start + r])
        (input + r * width).update(from: data.features + source * width, count: width)
        if let allTargets = data.targets {
          (targets + r * K).update(from: allTargets + source * K, count: K)
        }
        if let labels = data.labels { arena.labels[r] = labels[source] }
      }
      network.timer?.mark(.data)
      sums = network.computeGradient(
        input: input, rows: rows,
        labels: data.labels == nil ? nil : UnsafePointer(arena.labels.baseAddress!),
        targets: data.targets == nil ? nil : UnsafePointer(targets))
    }
    if sums.loss.isFinite {
      optimizer.update(arena, learningRate: eta)
      network.timer?.mark(.optimizer)
    }
    return sums
  }

  /// Runs `count` minibatch steps at a fixed step size, reshuffling at each
  /// epoch boundary as training does; for benchmarks. Returns the steps' rows.
  public func runSteps(_ count: Int, learningRate eta: Double) -> Int {
    var samples = 0
    withTrainingData { data in
      for _ in 0..<count {
        if stepCursor >= train.count {
          stepCursor = 0
          if plan.batchSize < train.count { shuffler.shuffle(order) }
        }
        let rows = min(plan.batchSize, train.count - stepCursor)
        _ = trainingStep(data, start: stepCursor, rows: rows, learningRate: eta)
        stepCursor += rows
        samples += rows
      }
    }
    return samples
  }

  /// Where `runSteps` continues in the current row order.
  private var stepCursor = Int.max

  /// Set when a Newton step found no step length that lowers the objective.
  private var noDecrease = false

  /// One Newton iteration θ ← θ − t H⁻¹∇J, starting from t = η (1 by default)
  /// and halving t until J decreases. Returns the mean data loss at the θ the
  /// step started from.
  private func newtonStep(_ solver: NewtonSolver, epoch: Int, learningRate eta: Double)
    -> EpochResult
  {
    let arena = network.arena
    let theta = arena.parameters.map(Double.init)
    var outputs = [Double](repeating: 0, count: solver.n * solver.K)
    let objective = solver.objectiveValue(theta, outputs: &outputs)
    guard objective.isFinite else {
      return .diverged(Divergence(epoch: epoch + 1, step: 1, layer: 0, quantity: "loss"))
    }
    var penalty = 0.0
    for i in 0..<solver.m * solver.K { penalty += theta[i] * theta[i] }
    let dataLoss = objective - solver.lambda / 2 * penalty
    let gradient = solver.gradient(theta, outputs: outputs)
    guard
      let direction = NewtonSolver.solve(
        hessian: solver.hessian(outputs: outputs), gradient: gradient)
    else {
      return .diverged(Divergence(epoch: epoch + 1, step: 1, layer: 0, quantity: "Hessian"))
    }
    var t = eta
    var candidate = theta
    for _ in 0..<60 {
      for i in 0..<theta.count { candidate[i] = theta[i] - t * direction[i] }
      if solver.objectiveValue(candidate, outputs: &outputs) < objective {
        for i in 0..<theta.count { arena.parameters[i] = S(candidate[i]) }
        return .finished(loss: dataLoss, accuracy: nil)
      }
      t /= 2
    }
    noDecrease = true
    return .finished(loss: dataLoss, accuracy: nil)
  }

  /// Names the first layer whose activations hold a non-finite value.
  private func diverged(epoch: Int, step: Int, quantity: String) -> Divergence {
    let arena = network.arena
    var layer: Int?
    for plan in plan.layers {
      let h = arena.pointer(plan.activations)
      if (0..<plan.activations.count).contains(where: { !h[$0].isFinite }) {
        layer = plan.index
        break
      }
    }
    if layer == nil { layer = firstNonFiniteLayer(in: arena.parameters.baseAddress!) }
    // Finite activations and parameters with a non-finite loss: the loss
    // itself overflowed, from the output layer's values.
    if layer == nil { layer = plan.layers.count - 1 }
    return Divergence(epoch: epoch + 1, step: step + 1, layer: layer, quantity: quantity)
  }

  private func firstNonFiniteLayer(in theta: UnsafeMutablePointer<S>) -> Int? {
    for layer in plan.layers {
      let blocks = [layer.weight] + (layer.bias.map { [$0] } ?? [])
      for block in blocks
      where (0..<block.count).contains(where: { !theta[block.offset + $0].isFinite }) {
        return layer.index
      }
    }
    return nil
  }

}

extension Examples {
  /// The rows at `indices`, in that order.
  public func selecting(_ indices: [Int]) -> Examples {
    var features: [S] = []
    features.reserveCapacity(indices.count * width)
    var labels: [Int32] = []
    var targets: [S] = []
    let targetWidth = count > 0 ? self.targets.count / count : 0
    for i in indices {
      features.append(contentsOf: self.features[i * width..<(i + 1) * width])
      if !self.labels.isEmpty { labels.append(self.labels[i]) }
      if targetWidth > 0 {
        targets.append(contentsOf: self.targets[i * targetWidth..<(i + 1) * targetWidth])
      }
    }
    return Examples(
      count: indices.count, width: width, features: features, labels: labels, targets: targets)
  }
}

extension Duration {
  /// The duration in seconds as a Double.
  public var seconds: Double {
    let (whole, attoseconds) = components
    return Double(whole) + Double(attoseconds) * 1e-18
  }
}
