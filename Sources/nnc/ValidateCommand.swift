import Foundation
import Planner
import Runtime
import SpecParser

/// `nnc validate SPEC…`: every check that runs before training, on many specs.
enum ValidateCommand {
  static let help = """
    usage: nnc validate SPEC... [--strict]

    Reads each spec, checks it and its data files' headers against each other,
    and compiles its plan, without training. Every problem is reported, as
    file:line:column: error: message.

    options:
      --strict   treat warnings as errors
    exit codes: 0 all valid, 1 some spec invalid, 2 usage error, 3 a data file unreadable
    """

  static func main(_ words: ArraySlice<String>) throws -> ExitCode {
    let arguments = try Arguments(words, shape: .init(flags: ["help", "strict"]))
    if arguments.flags.contains("help") {
      print(help)
      return .success
    }
    guard !arguments.positionals.isEmpty else { throw UsageError("validate takes spec files") }
    var worst = ExitCode.success
    for path in arguments.positionals {
      do {
        let compiled = try Compiled.load(path)
        if arguments.flags.contains("strict"), !compiled.decoded.warnings.isEmpty {
          printError("\(path): invalid under --strict (warnings above)")
          worst = worst == .success ? .invalidSpec : worst
        } else {
          print("\(path): valid")
        }
      } catch {
        let code = exitCode(for: error)
        if worst == .success || code == .invalidSpec { worst = code }
      }
    }
    return worst
  }
}
