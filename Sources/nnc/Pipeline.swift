import Planner
import Runtime
import SpecParser

/// A spec carried through the front of the pipeline: read, checked against
/// its data's shape, and compiled.
struct Compiled {
  var decoded: DecodedSpec
  var shape: DataShape
  var plan: Plan
  /// The memory budget the plan was checked against; no data file may hold more.
  var budget: MemoryBudget = .unlimited

  var spec: Spec { decoded.spec }

  /// Reads and plans `path` with `overrides` applied, within `budget`,
  /// printing the spec's warnings to stderr. Throws `SpecErrors` for the spec
  /// and `DataError` for its data files.
  static func load(
    _ path: String, quiet: Bool = false, overrides: [SpecOverride] = [],
    budget: MemoryBudget = .unlimited
  ) throws -> Compiled {
    let decoded = try SpecReader.load(path: path, overrides: overrides)
    if !quiet {
      for warning in decoded.warnings { printError(warning.description) }
    }
    let shape = try DataProbe.shape(of: decoded.spec.data, byteLimit: budget.bytes)
    let plan = try Planner.plan(decoded.spec, shape: shape, budget: budget)
    return Compiled(decoded: decoded, shape: shape, plan: plan, budget: budget)
  }
}

/// An output file that could not be written: exit code 5.
struct OutputError: Error {
  var message: String
}
