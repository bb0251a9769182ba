import SpecParser

/// Compiles a spec, checked against the data's real shape, into a `Plan`.
public enum Planner {
  /// Rows evaluated per step when no wider training batch asks for more.
  public static let defaultEvaluationRows = 1024

  /// Checks `spec` against `shape` and lays out every parameter and buffer.
  /// Throws every problem found, each at the spec position it is about; a
  /// plan whose training run would hold more than `budget` bytes (see
  /// `MemoryUse`) is refused, naming the figure and the part responsible.
  public static func plan(
    _ spec: Spec, shape: DataShape, budget: MemoryBudget = .unlimited
  ) throws(SpecErrors) -> Plan {
    var problems: [Diagnostic] = []
    func fail(_ keyPath: String, _ message: String, hint: String? = nil) {
      problems.append(
        Diagnostic(at: spec.location(of: keyPath), keyPath: keyPath, message, hint: hint))
    }

    // MARK: Data against model
    if shape.inputWidth == 0 {
      fail("data.train", "the training data has no feature columns")
    }
    for (index, layer) in spec.model.layers.enumerated() where layer.units < 1 {
      fail("model.layers[\(index)].units", "units must be ≥ 1, found \(layer.units)")
    }
    let objective = checkedObjective(spec, shape: shape, fail: fail)
    for (index, layer) in spec.model.layers.enumerated().dropLast()
    where layer.activation == .softmax {
      fail(
        "model.layers[\(index)].activation", "softmax is only supported on the output layer",
        hint: "use relu, tanh, sigmoid or identity for hidden layers")
    }
    if spec.optimizer.kind == .newton, spec.model.layers.count > 1 {
      fail(
        "optimizer.kind",
        "Newton's method needs a convex model, but this network has "
          + "\(spec.model.layers.count - 1) hidden layer(s)",
        hint: "use sgd or adam for networks; Newton fits logistic, softmax and linear regression")
    } else if spec.optimizer.kind == .newton, spec.loss == .quadratic,
      let output = spec.model.layers.last, output.activation != .identity
    {
      // The solver's Hessian assumes Z = H for the quadratic loss; through a
      // curved φ the loss is not convex in the weights.
      fail(
        "model.layers[0].activation",
        "Newton's method needs a convex model, but quadratic loss on a "
          + "\(output.activation.rawValue) output is not convex in the weights",
        hint: "use an identity output for linear regression, or sgd or adam")
    }

    // MARK: Example counts and batch sizes
    var validation = 0
    if let fraction = spec.data.validation {
      validation = Int((fraction * Double(shape.trainCount)).rounded())
      if validation < 1 || validation >= shape.trainCount {
        fail(
          "data.validation",
          "a validation fraction of \(fraction) leaves \(validation) of "
            + "\(shape.trainCount) examples for validation",
          hint: "choose a fraction that keeps at least one example on each side")
        validation = 0
      }
    }
    let trainCount = shape.trainCount - validation
    var batchSize = trainCount
    if case .examples(let rows) = spec.optimizer.batchSize {
      if rows > trainCount {
        fail(
          "optimizer.batch_size",
          "batch size \(rows) is larger than the \(trainCount) training examples",
          hint: "use at most \(trainCount), or `full` for full-batch gradient descent")
      } else {
        batchSize = rows
      }
    }
    if spec.optimizer.kind == .newton { batchSize = trainCount }
    let largestSet = max(trainCount, validation, shape.testCount ?? 0)
    let evaluationBatchSize = max(batchSize, min(defaultEvaluationRows, largestSet))

    let stateVectors: Int
    switch spec.optimizer.kind {
    case .sgd: stateVectors = spec.optimizer.momentum > 0 ? 1 : 0
    case .adam: stateVectors = 2
    case .newton: stateVectors = 0
    }

    // MARK: Memory
    let rows = max(batchSize, evaluationBatchSize)
    // Counted before the layout, whose offsets could not even be formed for
    // a spec whose sizes overflow; also after other problems, with the
    // stand-ins above (which never exceed what the spec asks for), so that
    // one run reports them all.
    var fitsBudget = false
    let sizes =
      spec.model.layers.map(\.units) + [trainCount, shape.testCount ?? 0, batchSize]
    if sizes.allSatisfy({ $0 >= 0 }), spec.model.layers.allSatisfy({ $0.units >= 1 }) {
      let sizing = PlanSizing(
        elementBytes: spec.precision == .float32 ? 4 : 8,
        widths: [shape.inputWidth] + spec.model.layers.map(\.units),
        biases: spec.model.layers.map(\.bias), batchRows: batchSize,
        evaluationRows: evaluationBatchSize,
        targetColumns: objective == .quadratic ? spec.model.layers.last?.units ?? 0 : 0,
        stateVectors: stateVectors, keepsBest: spec.training.patience != nil,
        examples: ExampleCounts(
          train: trainCount, validation: validation, test: shape.testCount ?? 0),
        isClassification: objective != .quadratic, isNewton: spec.optimizer.kind == .newton)
      let memory = sizing.memory
      fitsBudget = !memory.isSaturated && budget.allows(memory.total)
      if !fitsBudget {
        problems.append(memoryProblem(spec, sizing: sizing, memory: memory, budget: budget))
      }
    }
    guard problems.isEmpty, fitsBudget, let objective else { throw SpecErrors(problems) }

    // MARK: Layout
    var arena = ArenaAllocator()
    let input = arena.place("input", rows: rows, columns: shape.inputWidth)
    var parameterOffset = 0
    var blocks: [ParameterBlock] = []
    var layers: [LayerPlan] = []
    var width = shape.inputWidth
    for (index, layer) in spec.model.layers.enumerated() {
      let weight = ParameterBlock(
        name: "layers.\(index).weight", offset: parameterOffset, shape: [width, layer.units])
      parameterOffset += weight.count
      blocks.append(weight)
      var bias: ParameterBlock?
      if layer.bias {
        let block = ParameterBlock(
          name: "layers.\(index).bias", offset: parameterOffset, shape: [layer.units])
        parameterOffset += block.count
        blocks.append(block)
        bias = block
      }
      layers.append(
        LayerPlan(
          index: index, inputs: width, outputs: layer.units, activation: layer.activation,
          weight: weight, bias: bias,
          activations: arena.place("layers.\(index).activations", rows: rows, columns: layer.units),
          deltas: arena.place("layers.\(index).deltas", rows: batchSize, columns: layer.units)))
      width = layer.units
    }
    let targetColumns = objective == .quadratic ? width : 0
    let targets = arena.place("targets", rows: rows, columns: targetColumns)
    let ones = arena.place("ones", rows: rows, columns: 1)

    let hessian = spec.optimizer.kind == .newton ? parameterOffset * parameterOffset : 0

    return Plan(
      name: spec.name, precision: spec.precision, seed: spec.seed ?? 0, threads: spec.threads,
      task: shape.task, featureNames: shape.featureNames, layers: layers,
      objective: objective,
      optimizer: OptimizerPlan(
        kind: spec.optimizer.kind, learningRate: spec.optimizer.learningRate,
        momentum: spec.optimizer.momentum, nesterov: spec.optimizer.nesterov,
        beta1: spec.optimizer.beta1, beta2: spec.optimizer.beta2,
        epsilon: spec.optimizer.epsilon, schedule: spec.optimizer.schedule,
        l2: spec.regularization.l2),
      training: spec.training,
      examples: ExampleCounts(
        train: trainCount, validation: validation, test: shape.testCount ?? 0),
      batchSize: batchSize, evaluationBatchSize: evaluationBatchSize,
      parameters: ParameterLayout(
        blocks: blocks, count: parameterOffset, optimizerStateVectors: stateVectors,
        hessianCount: hessian),
      arena: ArenaLayout(
        buffers: arena.buffers, input: input, targets: targets, ones: ones, count: arena.count))
  }

  /// The loss fused with the output layer, or nil after reporting why the
  /// pairing of loss, output activation, output width and data does not fit.
  private static func checkedObjective(
    _ spec: Spec, shape: DataShape, fail: (String, String, String?) -> Void
  ) -> Objective? {
    guard let output = spec.model.layers.last else {
      fail("model.layers", "the model has no layers", nil)
      return nil
    }
    let last = "model.layers[\(spec.model.layers.count - 1)]"
    switch (spec.loss, shape.task) {
    case (.nll, .classification(let classes)):
      switch output.activation {
      case .softmax:
        if classes.count < 2 {
          fail(
            "data.train", "the training labels hold only one class (\(classes.first ?? ""))", nil)
          return nil
        }
        if output.units != classes.count {
          fail(
            "\(last).units",
            "the softmax output has \(output.units) units but the data has \(classes.count) "
              + "classes (\(classList(classes)))",
            "set units to \(classes.count)")
          return nil
        }
        return .softmaxCrossEntropy
      case .sigmoid:
        if output.units != 1 || classes.count != 2 {
          fail(
            "\(last).units",
            "a sigmoid output with NLL needs 1 unit and 2 classes, but it has "
              + "\(output.units) units and the data has \(classes.count) classes "
              + "(\(classList(classes)))",
            classes.count > 2
              ? "use a softmax output with \(classes.count) units" : "set units to 1")
          return nil
        }
        return .sigmoidCrossEntropy
      case .identity, .relu, .tanh:
        fail(
          "\(last).activation",
          "NLL needs a softmax or sigmoid output, not \(output.activation.rawValue)",
          "use softmax for K classes or sigmoid for two")
        return nil
      }
    case (.quadratic, .regression(let targets)):
      if output.activation == .softmax {
        fail(
          "\(last).activation", "quadratic loss on a softmax output is not supported",
          "use an identity output for regression, or loss: nll for classes")
        return nil
      }
      if output.units != targets.count {
        fail(
          "\(last).units",
          "the output has \(output.units) units but the data has \(targets.count) target "
            + "column(s) (\(targets.joined(separator: ", ")))",
          "set units to \(targets.count)")
        return nil
      }
      return .quadratic
    case (.nll, .regression):
      fail(
        "loss", "NLL needs class labels, but the data names regression targets",
        "use loss: quadratic, or name a label column with data.label")
      return nil
    case (.quadratic, .classification):
      fail(
        "loss", "quadratic loss needs numeric targets, but the data names a class label column",
        "use loss: nll for classification, or data.targets for regression")
      return nil
    }
  }

  /// The error for a plan that does not fit `budget` (or cannot be
  /// addressed at all), placed at the part that holds the most bytes.
  private static func memoryProblem(
    _ spec: Spec, sizing: PlanSizing, memory: MemoryUse, budget: MemoryBudget
  ) -> Diagnostic {
    let needs =
      memory.isSaturated
      ? "more than \(Quantity.bytes(Int.max)) (beyond what a 64-bit address reaches)"
      : "\(Quantity.bytes(memory.total)) (\(Quantity.grouped(memory.total)) bytes)"
    var message = "the plan needs \(needs) to train"
    if let limit = budget.bytes {
      message += ", more than the memory budget of \(Quantity.bytes(limit)) (\(budget.source))"
    }

    // The largest part, by the bytes it holds.
    var parts: [(bytes: Int, keyPath: String, text: String, hint: String)] = []
    let rows = max(sizing.batchRows, sizing.evaluationRows)
    for (index, bytes) in memory.layers.enumerated() {
      let layer = spec.model.layers[index]
      let count = Quantity.grouped(sizing.parameterCount(layer: index))
      parts.append(
        (
          bytes, "model.layers[\(index)].units",
          "layer \(index) (dense \(sizing.widths[index]) → \(layer.units), "
            + "\(layer.activation.rawValue)) holds \(Quantity.bytes(bytes)): \(count) "
            + "parameters with their gradient and optimizer state, and activations for "
            + "\(rows) rows",
          "lower model.layers[\(index)].units or optimizer.batch_size, "
            + "or raise the budget with --max-memory"
        ))
    }
    parts.append(
      (
        memory.inputBuffers, "optimizer.batch_size",
        "the input batch of \(rows) rows × \(sizing.widths[0]) features holds "
          + Quantity.bytes(memory.inputBuffers),
        "lower optimizer.batch_size, or raise the budget with --max-memory"
      ))
    let examples = Saturating.sum([
      sizing.examples.train, sizing.examples.validation, sizing.examples.test,
    ])
    parts.append(
      (
        memory.data, "data.train",
        "the \(Quantity.grouped(examples)) examples of \(sizing.widths[0]) features hold "
          + Quantity.bytes(memory.data) + " once loaded",
        "train on fewer or narrower examples, or raise the budget with --max-memory"
      ))
    if sizing.isNewton {
      let P = sizing.parameterCount
      let hessianCount = Saturating.product([P, P])
      let hessianBytes = Saturating.product([2, hessianCount, 8])
      parts.append(
        (
          memory.newton, "optimizer.kind",
          "Newton's method holds \(Quantity.bytes(memory.newton)), of which its P × P "
            + "Hessian (P = \(Quantity.grouped(P)) parameters, "
            + "\(Quantity.grouped(hessianCount)) elements) and its Cholesky factor, as 8-byte "
            + "doubles, take \(Quantity.bytes(hessianBytes))",
          "use sgd or adam for this many parameters, or raise the budget with --max-memory"
        ))
    }
    let largest = parts.max { $0.bytes < $1.bytes }
    if let largest { message += "; \(largest.text)" }
    return Diagnostic(
      at: spec.location(of: largest?.keyPath ?? "model"), keyPath: largest?.keyPath ?? "model",
      message, hint: largest?.hint)
  }

  private static func classList(_ classes: [String]) -> String {
    classes.count <= 6
      ? classes.joined(separator: ", ")
      : classes.prefix(5).joined(separator: ", ") + ", …"
  }
}

/// Places buffers one after another in the activation arena.
private struct ArenaAllocator {
  var buffers: [ArenaBuffer] = []
  var count = 0

  mutating func place(_ name: String, rows: Int, columns: Int) -> ArenaBuffer {
    let buffer = ArenaBuffer(name: name, offset: count, rows: rows, columns: columns)
    buffers.append(buffer)
    count += buffer.count
    return buffer
  }
}
