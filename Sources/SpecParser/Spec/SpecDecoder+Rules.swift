#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

// MARK: - Rules across keys

extension SpecDecoder {
  /// Checks the combinations of values that the spec alone decides, before
  /// any data is read: the output layer against the loss, where softmax may
  /// stand, what Newton's method can solve, and whether the step-size
  /// schedule stays above zero. Parts that failed to decode are `nil` and
  /// their rules are skipped; they have been reported already.
  ///
  /// The planner repeats the model rules, since specs can be built in code;
  /// it reports them at the same key paths.
  mutating func checkCombinations(
    model: ModelSpec?, loss: LossKind?, optimizer: OptimizerSpec?, training: TrainingSpec?,
    precision: Precision
  ) {
    if let model, let output = model.layers.last {
      checkLayers(model)
      if let loss { checkOutput(output, index: model.layers.count - 1, loss: loss) }
      if let optimizer, optimizer.kind == .newton {
        checkNewton(model, output: output, loss: loss, optimizer: optimizer)
      }
    }
    if let optimizer, let training {
      checkSchedule(optimizer, epochs: training.epochs, precision: precision)
    }
  }

  private mutating func checkLayers(_ model: ModelSpec) {
    for (index, layer) in model.layers.enumerated().dropLast() where layer.activation == .softmax {
      let path = "model.layers[\(index)].activation"
      error(
        "softmax is only supported on the output layer", at: position(path), path: path,
        hint: "use relu, tanh, sigmoid or identity for hidden layers")
    }
  }

  /// The loss must have an output it can be computed on.
  private mutating func checkOutput(_ output: LayerSpec, index: Int, loss: LossKind) {
    let units = "model.layers[\(index)].units"
    let activation = "model.layers[\(index)].activation"
    switch (loss, output.activation) {
    case (.nll, .softmax) where output.units == 1:
      error(
        "a softmax over 1 unit always outputs 1, so there is nothing for NLL to learn",
        at: position(units), path: units,
        hint: "for two classes use {units: 1, activation: sigmoid}; "
          + "otherwise give softmax one unit per class")
    case (.nll, .sigmoid) where output.units != 1:
      error(
        "NLL on a sigmoid output needs exactly 1 unit (two classes), found \(output.units)",
        at: position(units), path: units,
        hint: "for \(output.units) classes use a softmax output with \(output.units) units")
    case (.nll, .identity), (.nll, .relu), (.nll, .tanh):
      error(
        "NLL needs a softmax or sigmoid output, not \(output.activation.rawValue)",
        at: position(activation), path: activation,
        hint: "use softmax for K classes or sigmoid for two; for regression use loss: quadratic")
    case (.quadratic, .softmax):
      error(
        "quadratic loss on a softmax output is not supported", at: position(activation),
        path: activation, hint: "use an identity output for regression, or loss: nll for classes")
    default:
      break
    }
  }

  /// Newton's method solves convex models in one layer, on every example at once.
  private mutating func checkNewton(
    _ model: ModelSpec, output: LayerSpec, loss: LossKind?, optimizer: OptimizerSpec
  ) {
    if model.layers.count > 1 {
      error(
        "Newton's method needs a convex model, but this network has "
          + "\(model.layers.count - 1) hidden layer(s)",
        at: position("optimizer.kind"), path: "optimizer.kind",
        hint: "use sgd or adam for networks; Newton fits logistic, softmax and linear regression")
    } else if loss == .quadratic, output.activation != .identity {
      let path = "model.layers[0].activation"
      error(
        "Newton's method needs a convex model, but quadratic loss on a "
          + "\(output.activation.rawValue) output is not convex in the weights",
        at: position(path), path: path,
        hint: "use an identity output for linear regression, or sgd or adam")
    }
    if case .examples = optimizer.batchSize, locations["optimizer.batch_size"] != nil {
      error(
        "batch_size does not apply to newton: Newton's method uses every training example "
          + "in each step",
        at: position("optimizer.batch_size"), path: "optimizer.batch_size",
        hint: "remove batch_size, or write batch_size: full")
    }
  }

  /// The schedule must keep the step size a positive number, in the
  /// precision the optimizer applies it in, through the last epoch.
  private mutating func checkSchedule(
    _ optimizer: OptimizerSpec, epochs: Int, precision: Precision
  ) {
    // First-order updates apply η in the run's precision; Newton's line
    // search starts from η in Double.
    let inFloat = precision == .float32 && optimizer.kind != .newton
    func usable(_ epoch: Int) -> Bool {
      let rate = Self.stepSize(optimizer, epoch: epoch)
      guard rate.isFinite, rate > 0 else { return false }
      return !inFloat || Float(rate) > 0
    }
    guard epochs >= 1, !usable(epochs - 1) else { return }

    // Every schedule is non-increasing in t, so the first bad epoch can be
    // found by bisection, however many epochs there are.
    var good = -1
    var bad = epochs - 1
    while bad - good > 1 {
      let middle = good + (bad - good) / 2
      if usable(middle) { good = middle } else { bad = middle }
    }
    guard bad > 0 else {
      // The rate of the first epoch is the learning rate itself.
      let path = "optimizer.learning_rate"
      error(
        "learning rate \(optimizer.learningRate) is below the smallest float32, so every "
          + "step would be zero",
        at: position(path), path: path, hint: "raise learning_rate, or use precision: float64")
      return
    }
    let formula: String
    switch optimizer.schedule {
    case .constant: formula = "η₀"
    case .inverse: formula = "η₀ (1 + γt)^(−p)"
    case .step: formula = "η₀ · factor^⌊t / every⌋"
    case .exponential: formula = "η₀ · γ^t"
    }
    let path = locations["optimizer.schedule"] != nil ? "optimizer.schedule" : "optimizer"
    error(
      "the schedule makes the step size zero from epoch \(bad + 1) of \(epochs): "
        + "\(formula) \(inFloat ? "falls below the smallest float32" : "underflows")",
      at: position(path), path: path,
      hint: "decay more slowly, or train for at most \(bad) epoch\(bad == 1 ? "" : "s")")
  }

  /// η for the 0-based `epoch`, as the optimizer computes it.
  static func stepSize(_ optimizer: OptimizerSpec, epoch: Int) -> Double {
    let t = Double(epoch)
    let rate = optimizer.learningRate
    switch optimizer.schedule {
    case .constant: return rate
    case .inverse(let gamma, let power): return rate * pow(1 + gamma * t, -power)
    case .step(let every, let factor):
      return rate * pow(factor, (t / Double(every)).rounded(.down))
    case .exponential(let gamma): return rate * pow(gamma, t)
    }
  }

  /// Where `path` was written, or its nearest written ancestor, or the document.
  func position(_ path: String) -> SourceLocation {
    var path = Substring(path)
    while !path.isEmpty {
      if let found = locations[String(path)] { return found }
      guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
      path = path[..<cut]
    }
    return locations[""] ?? SourceLocation(file: file, line: 1, column: 1)
  }
}
