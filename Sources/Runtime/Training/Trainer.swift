import Foundation
import Planner
import SpecParser

/// Why training ended; written to `metrics.json` as the raw value.
public enum StopReason: String, Sendable, Equatable {
  /// The epoch (Newton: iteration) limit was reached without meeting a tolerance.
  case epochLimit = "epoch_limit"
  /// ‖θ⁽ᵗ⁺¹⁾ − θ⁽ᵗ⁾‖∞ fell below `training.tolerance`.
  case weightsConverged = "weights_converged"
  /// The relative change of the training loss fell below `training.loss_tolerance`.
  case lossConverged = "loss_converged"
  /// The validation loss did not improve for `training.patience` epochs.
  case earlyStopping = "early_stopping"
  /// The loss or a parameter became NaN or infinite.
  case diverged
}

/// One epoch's figures, as printed and written to `history.csv`.
public struct EpochRecord: Sendable, Equatable {
  public var epoch: Int
  public var learningRate: Double
  /// Mean data loss over the epoch's steps, each at the weights it started from.
  public var trainLoss: Double
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
  private var optimizer: Optimizer<S>
  private var shuffler: RandomStream
  /// Row order of the current epoch.
  private let order: UnsafeMutableBufferPointer<Int32>
  /// θ at the start of the epoch: the weight change, and the last good
  /// weights to return to if the epoch diverges.
  private let epochStart: UnsafeMutableBufferPointer<S>
  /// θ with the best validation loss so far (early stopping only).
  private let best: UnsafeMutableBufferPointer<S>
  /// Newton's method's copy of the design matrix (Newton plans only).
  private let newton: NewtonSolver?

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
  public func run(onEpoch: (EpochRecord) -> Void = { _ in }) -> TrainingOutcome {
    var history: [EpochRecord] = []
    // Capped: the epoch limit comes from the spec and may be far beyond what
    // a run reaches (stopping rules); the history grows past the cap if needed.
    history.reserveCapacity(min(plan.training.epochs, 100_000))
    var bestLoss = Double.infinity
    var epochsSinceBest = 0
    var previousLoss: Double?
    let arena = network.arena
    let clock = ContinuousClock()

    for epoch in 0..<plan.training.epochs {
      let started = clock.now
      let eta = plan.optimizer.learningRate(epoch: epoch)
      _ = epochStart.update(fromContentsOf: arena.parameters)

      let trainLoss: Double
      let result =
        newton.map { newtonStep($0, epoch: epoch, learningRate: eta) }
        ?? firstOrderEpoch(epoch: epoch, learningRate: eta)
      switch result {
      case .success(let loss): trainLoss = loss
      case .failure(let divergence):
        _ = arena.parameters.update(fromContentsOf: epochStart)
        return TrainingOutcome(
          stopReason: .diverged, epochs: epoch + 1, history: history, divergence: divergence)
      }
      if newton != nil, noDecrease {
        // No step along the Newton direction lowers J: θ is the minimum to
        // within rounding, and the epoch changed nothing.
        return finish(.lossConverged, history)
      }

      var change = 0.0
      for i in 0..<arena.parameters.count {
        change = max(change, abs(Double(arena.parameters[i]) - Double(epochStart[i])))
      }
      let record = EpochRecord(
        epoch: epoch + 1, learningRate: eta, trainLoss: trainLoss, weightChange: change,
        validation: validation.map { network.evaluate($0) },
        test: test.map { network.evaluate($0) },
        seconds: (clock.now - started).seconds)
      history.append(record)
      onEpoch(record)

      // Stopping rules, in order of precedence.
      if let tolerance = plan.training.tolerance, change < tolerance {
        return finish(.weightsConverged, history)
      }
      if let tolerance = plan.training.lossTolerance, let previousLoss,
        abs(trainLoss - previousLoss) / max(abs(previousLoss), 1e-300) < tolerance
      {
        return finish(.lossConverged, history)
      }
      previousLoss = trainLoss
      if let patience = plan.training.patience, let loss = record.validation?.loss {
        if loss < bestLoss {
          bestLoss = loss
          epochsSinceBest = 0
          _ = best.update(fromContentsOf: arena.parameters)
        } else {
          epochsSinceBest += 1
          if epochsSinceBest >= patience {
            return finish(.earlyStopping, history)
          }
        }
      }
    }
    return finish(.epochLimit, history)
  }

  private func finish(_ reason: StopReason, _ history: [EpochRecord]) -> TrainingOutcome {
    if plan.training.patience != nil, validation != nil, !best.isEmpty {
      // Early stopping keeps the weights with the best validation loss.
      _ = network.arena.parameters.update(fromContentsOf: best)
    }
    return TrainingOutcome(
      stopReason: reason, epochs: history.count, history: history, divergence: nil)
  }

  /// One pass over the training rows in shuffled minibatches. Returns the mean
  /// data loss, or where the run first went non-finite.
  private func firstOrderEpoch(epoch: Int, learningRate eta: Double)
    -> Result<Double, Divergence>
  {
    if plan.batchSize < train.count { shuffler.shuffle(order) }
    return withTrainingData { data in
      var total = 0.0
      var start = 0
      var step = 0
      while start < train.count {
        let rows = min(plan.batchSize, train.count - start)
        let sums = trainingStep(data, start: start, rows: rows, learningRate: eta)
        guard sums.loss.isFinite else {
          return .failure(diverged(epoch: epoch, step: step, quantity: "loss"))
        }
        total += sums.loss
        start += rows
        step += 1
      }
      if let bad = firstNonFiniteLayer(in: network.arena.parameters.baseAddress!) {
        return .failure(
          Divergence(epoch: epoch + 1, step: step, layer: bad, quantity: "parameters"))
      }
      return .success(total / Double(train.count))
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
    -> Result<Double, Divergence>
  {
    let arena = network.arena
    let theta = arena.parameters.map(Double.init)
    var outputs = [Double](repeating: 0, count: solver.n * solver.K)
    let objective = solver.objectiveValue(theta, outputs: &outputs)
    guard objective.isFinite else {
      return .failure(Divergence(epoch: epoch + 1, step: 1, layer: 0, quantity: "loss"))
    }
    var penalty = 0.0
    for i in 0..<solver.m * solver.K { penalty += theta[i] * theta[i] }
    let dataLoss = objective - solver.lambda / 2 * penalty
    let gradient = solver.gradient(theta, outputs: outputs)
    guard
      let direction = NewtonSolver.solve(
        hessian: solver.hessian(outputs: outputs), gradient: gradient)
    else {
      return .failure(Divergence(epoch: epoch + 1, step: 1, layer: 0, quantity: "Hessian"))
    }
    var t = eta
    var candidate = theta
    for _ in 0..<60 {
      for i in 0..<theta.count { candidate[i] = theta[i] - t * direction[i] }
      if solver.objectiveValue(candidate, outputs: &outputs) < objective {
        for i in 0..<theta.count { arena.parameters[i] = S(candidate[i]) }
        return .success(dataLoss)
      }
      t /= 2
    }
    noDecrease = true
    return .success(dataLoss)
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
    // Every activation and parameter is finite, so the loss itself overflowed:
    // it is computed from the output layer's activations.
    if layer == nil { layer = plan.layers.last?.index }
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
