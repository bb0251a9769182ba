// MARK: - Optimizer and training

/// The step-size schedules a spec can name; `Schedule` carries their parameters.
private enum ScheduleKind: String, CaseIterable {
  case constant, inverse, step, exponential

  /// The parameter keys this schedule takes.
  var parameters: [String] {
    switch self {
    case .constant: []
    case .inverse: ["gamma", "power"]
    case .step: ["every", "factor"]
    case .exponential: ["gamma"]
    }
  }
}

extension SpecDecoder {
  mutating func decodeOptimizer(_ node: YAMLNode, at path: String) -> OptimizerSpec? {
    guard
      let optimizer = section(
        node, at: path,
        keys: [
          "kind", "learning_rate", "momentum", "nesterov", "beta1", "beta2", "epsilon",
          "batch_size", "schedule",
        ])
    else { return nil }

    let kind: OptimizerKind? = choice("kind", in: optimizer, required: true, what: "optimizer")
    let needsRate = kind == .sgd || kind == .adam
    let rate = number("learning_rate", in: optimizer, required: needsRate, .positive)
    if let rate, rate > 10, let node = optimizer.values["learning_rate"] {
      warning(
        "learning rate \(node.scalarText ?? "\(rate)") is above 10", at: node.location,
        path: optimizer.path("learning_rate"), hint: "rates this large usually diverge")
    }
    let momentum = number("momentum", in: optimizer, .zeroToBelowOne) ?? 0
    let nesterov = bool("nesterov", in: optimizer) ?? false
    let beta1 = number("beta1", in: optimizer, .zeroToBelowOne) ?? 0.9
    let beta2 = number("beta2", in: optimizer, .zeroToBelowOne) ?? 0.999
    let epsilon = number("epsilon", in: optimizer, .positive) ?? 1e-8
    let batchSize = self.node("batch_size", in: optimizer).flatMap {
      decodeBatchSize($0, at: optimizer.path("batch_size"))
    }
    let schedule = self.node("schedule", in: optimizer).flatMap {
      decodeSchedule($0, at: optimizer.path("schedule"))
    }

    // Keys that belong to another optimizer are mistakes, not silent no-ops.
    if let kind {
      let owners = [
        ("momentum", OptimizerKind.sgd), ("nesterov", .sgd), ("beta1", .adam), ("beta2", .adam),
        ("epsilon", .adam),
      ]
      for (key, owner) in owners where kind != owner {
        guard let node = optimizer.values[key] else { continue }
        error(
          "'\(key)' applies to the \(owner.rawValue) optimizer only, not \(kind.rawValue)",
          at: node.location, path: optimizer.path(key), hint: "remove '\(key)'")
      }
    }
    if nesterov, momentum == 0, kind == .sgd, let node = optimizer.values["nesterov"] {
      error(
        "nesterov needs momentum > 0", at: node.location, path: optimizer.path("nesterov"),
        hint: "set momentum (0.9 is common) or remove nesterov")
    }

    guard let kind, let learningRate = rate ?? (kind == .newton ? 1.0 : nil) else { return nil }
    return OptimizerSpec(
      kind: kind, learningRate: learningRate, momentum: momentum, nesterov: nesterov,
      beta1: beta1, beta2: beta2, epsilon: epsilon, batchSize: batchSize ?? .full,
      schedule: schedule ?? .constant)
  }

  /// An integer ≥ 1, or `full` for every example in one step.
  private mutating func decodeBatchSize(_ node: YAMLNode, at path: String) -> BatchSize? {
    switch ScalarValue(node) {
    case .number:
      return integer(from: node, at: path, minimum: 1).map { .examples($0) }
    case .plainString("full"), .quotedString("full"):
      return .full
    default:
      mismatch(expected: "an integer ≥ 1 or full", found: node, path: path)
      return nil
    }
  }

  /// `{kind: NAME, …parameters}`, or just the kind's name.
  private mutating func decodeSchedule(_ node: YAMLNode, at path: String) -> Schedule? {
    let kind: ScheduleKind?
    let schedule: Section
    if case .mapping = node.kind {
      guard
        let opened = section(
          node, at: path, keys: ["kind", "gamma", "power", "every", "factor"])
      else { return nil }
      schedule = opened
      kind = choice("kind", in: schedule, required: true, what: "schedule")
    } else {
      schedule = Section(path: path, location: node.location, values: [:])
      kind = choice(from: node, at: path, what: "schedule")
    }
    guard let kind else { return nil }

    for key in ["gamma", "power", "every", "factor"] where !kind.parameters.contains(key) {
      guard let value = schedule.values[key] else { continue }
      let takes =
        kind.parameters.isEmpty ? "no parameters" : kind.parameters.joined(separator: " and ")
      error(
        "'\(key)' is not a parameter of the \(kind.rawValue) schedule", at: value.location,
        path: schedule.path(key), hint: "the \(kind.rawValue) schedule takes \(takes)")
    }

    switch kind {
    case .constant:
      return .constant
    case .inverse:
      let gamma = decayParameter("gamma", in: schedule, .nonNegative) { gamma in
        // 1 + γt ≤ 0 from t = ⌈1/|γ|⌉, the epoch after that many.
        let epoch = (1 / -gamma).rounded(.up) + 1
        let when = epoch < 1e15 ? "at epoch \(Int(epoch))" : "eventually"
        return "with gamma < 0, 1 + γt reaches zero \(when): the step size "
          + "η₀ (1 + γt)^(−p) becomes infinite, then negative or undefined"
      }
      let power = number("power", in: schedule, .positive) ?? 1
      return gamma.map { .inverse(gamma: $0, power: power) }
    case .step:
      let every = integer("every", in: schedule, required: true, minimum: 1)
      let factor = decayParameter("factor", in: schedule, .aboveZeroToOne) { _ in
        "a factor of 0 or less makes the step size zero or negative after the first reduction"
      }
      guard let every, let factor else { return nil }
      return .step(every: every, factor: factor)
    case .exponential:
      let gamma = decayParameter("gamma", in: schedule, .aboveZeroToOne) { _ in
        "η₀ · γ^t with gamma ≤ 0 is zero, or changes sign, from the second epoch"
      }
      return gamma.map { .exponential(gamma: $0) }
    }
  }

  /// A required schedule parameter in `range`. A value of zero or below
  /// would make the step size zero or negative; the hint says how.
  private mutating func decayParameter(
    _ key: String, in schedule: Section, _ range: NumberRange,
    consequence: (Double) -> String
  ) -> Double? {
    guard let node = self.node(key, in: schedule, required: true) else { return nil }
    let path = schedule.path(key)
    if case .number(let value, let text, _) = ScalarValue(node), value <= 0,
      !range.contains(value)
    {
      error(
        "\(key) must be \(range.phrase), found \(text)", at: node.location, path: path,
        hint: consequence(value))
      return nil
    }
    return number(from: node, at: path, range)
  }

  mutating func decodeTraining(
    _ node: YAMLNode, at path: String, hasValidation: Bool
  ) -> TrainingSpec? {
    guard
      let training = section(
        node, at: path,
        keys: ["epochs", "tolerance", "loss_tolerance", "patience", "checkpoint"])
    else { return nil }
    let epochs = integer("epochs", in: training, required: true, minimum: 1)
    let tolerance = number("tolerance", in: training, .positive)
    let lossTolerance = number("loss_tolerance", in: training, .positive)
    let patience = integer("patience", in: training, minimum: 1)
    let checkpoint = integer("checkpoint", in: training, minimum: 1)
    if patience != nil, !hasValidation, let node = training.values["patience"] {
      error(
        "patience needs data.validation", at: node.location, path: training.path("patience"),
        hint: "early stopping watches the validation loss; set data.validation (e.g. 0.1)")
    }
    // A missing or invalid epoch limit has been reported, so decoding fails;
    // 1 stands in meanwhile, so that `nnc validate` can still check the
    // data and the plan in the same run.
    return TrainingSpec(
      epochs: epochs ?? 1, tolerance: tolerance, lossTolerance: lossTolerance, patience: patience,
      checkpoint: checkpoint)
  }
}
