import Foundation
import Planner
import Runtime
import SpecParser

/// `nnc plan SPEC`: the compiled plan, before any training.
enum PlanCommand {
  static let help = """
    usage: nnc plan SPEC

    Prints the plan nnc compiles from SPEC: each layer's shape, activation
    and parameters, and every buffer with its size and offset.
    """

  static func main(_ words: ArraySlice<String>) throws -> ExitCode {
    let arguments = try Arguments(words, shape: .init(flags: ["help"]))
    if arguments.flags.contains("help") {
      print(help)
      return .success
    }
    guard arguments.positionals.count == 1, let path = arguments.positionals.first else {
      throw UsageError("plan takes one spec file")
    }
    print(describe(try Compiled.load(path).plan), terminator: "")
    return .success
  }

  static func describe(_ plan: Plan) -> String {
    let element = plan.precision == .float32 ? 4 : 8
    var text = "plan \(plan.name) (\(plan.precision.rawValue))\n"
    text += "examples: \(plan.examples.train) train, \(plan.examples.validation) validation, "
    text += "\(plan.examples.test) test; batch \(plan.batchSize), "
    text += "evaluation batch \(plan.evaluationBatchSize)\n"
    text += "layers:\n"
    for layer in plan.layers {
      text +=
        "  \(layer.index): dense \(layer.inputs) -> \(layer.outputs) \(layer.activation.rawValue)"
      text += ", \(layer.parameterCount) parameters (L2 on the \(layer.weight.count) weights)\n"
    }
    text += "parameters: \(plan.parameters.count)\n"
    for block in plan.parameters.blocks {
      text += "  \(block.name) \(block.shape) at \(block.offset)\n"
    }
    text += "arena: \(plan.arena.count) elements\n"
    for buffer in plan.arena.buffers {
      text += "  \(buffer.name) \(buffer.rows)x\(buffer.columns) at \(buffer.offset)\n"
    }
    let bytes =
      (plan.parameters.count * (2 + plan.parameters.optimizerStateVectors)
        + plan.parameters.hessianCount + plan.arena.count) * element
    text += "memory: \(bytes) bytes\n"
    return text
  }
}
