import Foundation
import Planner
import Runtime
import SpecParser

/// `nnc plan SPEC`: the compiled plan and what it costs, before any training.
enum PlanCommand {
  static let help = """
    usage: nnc plan SPEC [--format text|json] [--max-memory SIZE]

    Checks SPEC as 'nnc validate' does and prints the plan nnc compiles from
    it: each layer's kind, shapes, activation and parameters (and which of
    them L2 touches); every parameter block and arena buffer with its offset
    and size; the memory for parameters, gradient, optimizer state,
    activations, data and, for Newton's method, the Hessian; and the FLOPs
    of the forward and backward passes per example and per epoch.

    options:
      --format FORMAT    text (default) or json
    \(MemoryBudget.optionHelp)
    """

  static func main(_ words: ArraySlice<String>) throws -> ExitCode {
    let arguments = try Arguments(
      words, shape: .init(options: ["format", "max-memory"], flags: ["help"]))
    if arguments.flags.contains("help") {
      print(help)
      return .success
    }
    guard arguments.positionals.count == 1, let path = arguments.positionals.first else {
      throw UsageError("plan takes one spec file")
    }
    let format = arguments.value("format") ?? "text"
    guard ["text", "json"].contains(format) else {
      throw UsageError("--format is text or json, not '\(format)'")
    }
    let budget = try MemoryBudget.from(arguments)

    let report = SpecReport.check(path, budget: budget)
    for finding in report.errors { printError(finding.diagnostic.description) }
    for warning in report.warnings { printError(warning.description) }
    guard let plan = report.plan else {
      let count = report.errors.count
      printError("\(count) error\(count == 1 ? "" : "s") in \(path)")
      return ValidateCommand.exitCode([report])
    }
    if format == "json" {
      print(json(plan, budget: budget).rendered(), terminator: "")
    } else {
      print(describe(plan, budget: budget), terminator: "")
    }
    return .success
  }

  // MARK: - Text

  static func describe(_ plan: Plan, budget: MemoryBudget) -> String {
    let group = Quantity.grouped
    let element = plan.precision == .float32 ? 4 : 8
    var text = "plan \(plan.name): \(plan.precision.rawValue), seed \(plan.seed), "
    text += "\(plan.optimizer.kind.rawValue), \(objectiveName(plan.objective))\n"
    text += "examples: \(group(plan.examples.train)) train, "
    text += "\(group(plan.examples.validation)) validation, \(group(plan.examples.test)) test; "
    text += "\(plan.inputWidth) features; \(taskDescription(plan.task))\n"
    let steps = (plan.examples.train + plan.batchSize - 1) / max(plan.batchSize, 1)
    text += "batch: B = \(plan.batchSize) rows per step (\(steps) step\(steps == 1 ? "" : "s") "
    text += "per epoch), \(plan.evaluationBatchSize) rows per evaluation step\n"

    text += "\nlayers:\n"
    var layerRows = [["index", "kind", "input", "output", "activation", "parameters", "L2"]]
    for layer in plan.layers {
      layerRows.append([
        "\(layer.index)", "dense", "[B, \(layer.inputs)]", "[B, \(layer.outputs)]",
        layer.activation.rawValue, group(layer.parameterCount),
        plan.optimizer.l2 > 0 ? "\(group(layer.weight.count)) weights" : "none",
      ])
    }
    text += table(layerRows, numeric: [0, 5])
    if plan.optimizer.l2 > 0 {
      text += "  L2: λ = \(plan.optimizer.l2) on weights, never on biases\n"
    }

    let state = plan.parameters.optimizerStateVectors
    text += "\nparameters: \(group(plan.parameters.count)); θ"
    text +=
      state == 0
      ? " and its gradient"
      : ", its gradient and \(state) optimizer state vector\(state == 1 ? "" : "s")"
    text += " have this layout\n"
    var blockRows = [["name", "shape", "offset", "elements"]]
    for block in plan.parameters.blocks {
      blockRows.append([
        block.name, "[" + block.shape.map(String.init).joined(separator: ", ") + "]",
        group(block.offset), group(block.count),
      ])
    }
    text += table(blockRows, numeric: [2, 3])
    if plan.parameters.hessianCount > 0 {
      text += "  Newton's Hessian: P × P = \(group(plan.parameters.hessianCount)) elements "
      text += "(hessianCount), in float64 with its Cholesky factor\n"
    }

    text += "\narena: \(group(plan.arena.count)) elements of \(element) bytes\n"
    var bufferRows = [["buffer", "rows × columns", "offset", "elements", "bytes"]]
    for buffer in plan.arena.buffers {
      bufferRows.append([
        buffer.name, "\(buffer.rows) × \(buffer.columns)", group(buffer.offset),
        group(buffer.count), Quantity.bytes(buffer.count * element),
      ])
    }
    text += table(bufferRows, numeric: [2, 3, 4])

    let memory = plan.memory
    text += "\nmemory:\n"
    var memoryRows: [[String]] = [
      ["parameters", Quantity.bytes(memory.parameters)],
      ["gradient", Quantity.bytes(memory.gradient)],
      ["optimizer state", Quantity.bytes(memory.optimizerState)],
      ["activations", Quantity.bytes(memory.activations)],
      ["batch labels", Quantity.bytes(memory.batchLabels)],
      ["arena", Quantity.bytes(memory.arena), "\(group(memory.arena)) bytes, allocated by Arena"],
      ["trainer copies", Quantity.bytes(memory.trainer)],
      ["data", Quantity.bytes(memory.data), "examples as prepared for training"],
    ]
    if plan.optimizer.kind == .newton {
      memoryRows.append(["newton", Quantity.bytes(memory.newton), "float64 Hessian and factor"])
    }
    var budgetText = "no memory budget"
    if let limit = budget.bytes {
      budgetText = "budget \(Quantity.bytes(limit)) (\(budget.source))"
    }
    memoryRows.append(["total", Quantity.bytes(memory.total), budgetText])
    text += table(memoryRows, numeric: [1], header: false)

    let flops = plan.flops
    text += "\nFLOPs (2 per multiply-add of a matrix product, 1 per bias or φ′ element):\n"
    var flopRows = [
      ["", "per example", "per epoch"],
      ["forward", group(flops.forwardPerExample), group(flops.forwardPerEpoch)],
      ["backward", group(flops.backwardPerExample), group(flops.backwardPerEpoch)],
      ["evaluation", "", group(flops.evaluationPerEpoch)],
    ]
    if let newton = flops.newtonPerIteration {
      flopRows.append(["newton iteration", "", group(newton)])
    }
    text += table(flopRows, numeric: [1, 2])
    text += "  an epoch trains on \(group(plan.examples.train)) examples and evaluates "
    text += "\(group(plan.examples.validation + plan.examples.test)) (validation and test)\n"
    return text
  }

  static func objectiveName(_ objective: Objective) -> String {
    switch objective {
    case .softmaxCrossEntropy: "softmax with NLL"
    case .sigmoidCrossEntropy: "sigmoid with NLL"
    case .quadratic: "quadratic loss"
    }
  }

  static func taskDescription(_ task: Task) -> String {
    switch task {
    case .classification(let classes):
      let shown = classes.count <= 10 ? " (\(classes.joined(separator: ", ")))" : ""
      return "\(classes.count) classes\(shown)"
    case .regression(let targets):
      return "\(targets.count) target\(targets.count == 1 ? "" : "s") "
        + "(\(targets.joined(separator: ", ")))"
    }
  }

  /// Rows as aligned columns, two spaces apart and indented by two; the
  /// `numeric` columns are right-aligned.
  static func table(_ rows: [[String]], numeric: Set<Int>, header: Bool = true) -> String {
    let columns = rows.map(\.count).max() ?? 0
    var widths = [Int](repeating: 0, count: columns)
    for row in rows {
      for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    var text = ""
    for (rowIndex, row) in rows.enumerated() {
      var line = ""
      for (index, cell) in row.enumerated() {
        let padding = String(repeating: " ", count: widths[index] - cell.count)
        let isNumber = numeric.contains(index) && !(header && rowIndex == 0)
        line += "  " + (isNumber ? padding + cell : cell + padding)
      }
      while line.last == " " { line.removeLast() }
      text += line + "\n"
    }
    return text
  }

  // MARK: - JSON

  static func json(_ plan: Plan, budget: MemoryBudget) -> JSONValue {
    let memory = plan.memory
    let flops = plan.flops
    let element = plan.precision == .float32 ? 4 : 8
    var task: [String: JSONValue]
    switch plan.task {
    case .classification(let classes):
      task = ["kind": .string("classification"), "classes": .array(classes.map { .string($0) })]
    case .regression(let targets):
      task = ["kind": .string("regression"), "targets": .array(targets.map { .string($0) })]
    }
    let layers = plan.layers.map { layer -> JSONValue in
      var blocks = [layer.weight.name]
      if let bias = layer.bias { blocks.append(bias.name) }
      return .object([
        "index": .integer(layer.index),
        "kind": .string("dense"),
        "input_shape": .array([.integer(layer.inputs)]),
        "output_shape": .array([.integer(layer.outputs)]),
        "activation": .string(layer.activation.rawValue),
        "parameters": .integer(layer.parameterCount),
        "parameter_blocks": .array(blocks.map { .string($0) }),
        "l2_blocks": .array(plan.optimizer.l2 > 0 ? [.string(layer.weight.name)] : []),
        "l2_parameters": .integer(plan.optimizer.l2 > 0 ? layer.weight.count : 0),
      ])
    }
    let blocks = plan.parameters.blocks.map { block -> JSONValue in
      .object([
        "name": .string(block.name), "offset": .integer(block.offset),
        "shape": .array(block.shape.map { .integer($0) }), "count": .integer(block.count),
        "l2": .bool(plan.optimizer.l2 > 0 && block.shape.count == 2),
      ])
    }
    let buffers = plan.arena.buffers.map { buffer -> JSONValue in
      .object([
        "name": .string(buffer.name), "offset": .integer(buffer.offset),
        "rows": .integer(buffer.rows), "columns": .integer(buffer.columns),
        "count": .integer(buffer.count), "bytes": .integer(buffer.count * element),
      ])
    }
    return .object([
      "name": .string(plan.name),
      "precision": .string(plan.precision.rawValue),
      "seed": Int(exactly: plan.seed).map { .integer($0) } ?? .string(String(plan.seed)),
      "optimizer": .string(plan.optimizer.kind.rawValue),
      "objective": .string(plan.objective.rawValue),
      "task": .object(task),
      "features": .integer(plan.inputWidth),
      "examples": .object([
        "train": .integer(plan.examples.train),
        "validation": .integer(plan.examples.validation),
        "test": .integer(plan.examples.test),
      ]),
      "batch_size": .integer(plan.batchSize),
      "evaluation_batch_size": .integer(plan.evaluationBatchSize),
      "l2": .number(plan.optimizer.l2),
      "layers": .array(layers),
      "parameters": .object([
        "count": .integer(plan.parameters.count),
        "blocks": .array(blocks),
        "optimizer_state_vectors": .integer(plan.parameters.optimizerStateVectors),
        "hessian_count": .integer(plan.parameters.hessianCount),
      ]),
      "arena": .object([
        "count": .integer(plan.arena.count), "element_bytes": .integer(element),
        "buffers": .array(buffers),
      ]),
      "memory": .object([
        "parameters": .integer(memory.parameters),
        "gradient": .integer(memory.gradient),
        "optimizer_state": .integer(memory.optimizerState),
        "activations": .integer(memory.activations),
        "batch_labels": .integer(memory.batchLabels),
        "arena": .integer(memory.arena),
        "trainer": .integer(memory.trainer),
        "data": .integer(memory.data),
        "newton": .integer(memory.newton),
        "total": .integer(memory.total),
        "budget": budget.bytes.map { .integer($0) } ?? .null,
        "budget_source": .string(budget.source),
      ]),
      "flops": .object([
        "forward_per_example": .integer(flops.forwardPerExample),
        "backward_per_example": .integer(flops.backwardPerExample),
        "forward_per_epoch": .integer(flops.forwardPerEpoch),
        "backward_per_epoch": .integer(flops.backwardPerEpoch),
        "evaluation_per_epoch": .integer(flops.evaluationPerEpoch),
        "newton_per_iteration": flops.newtonPerIteration.map { .integer($0) } ?? .null,
      ]),
    ])
  }
}
