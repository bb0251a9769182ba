import Foundation
import Planner
import Runtime
import SpecParser

/// The tool's version, printed by `nnc --version` and recorded in run outputs.
let nncVersion = "0.1.0"

let usage = """
  nnc \(nncVersion): compile a YAML model spec into a plan and train it.

  usage: nnc <command> [options]

  commands:
    run SPEC        train the spec and write results to runs/<spec name>
    evaluate SPEC   measure trained weights on labelled data
    predict SPEC    predict new rows with trained weights
    report RUN…     draw several runs' curves on one chart
    validate SPEC…  check specs without training
    plan SPEC       print the compiled plan: shapes, buffers, memory, FLOPs
    schema          print the JSON Schema of the spec format, for editors
    gradcheck SPEC  compare backprop with finite differences on the spec's data
    bench SPEC      time training steps against the GEMM-only time of the same plan

  options:
    -h, --help      show help (also: nnc <command> --help)
    --version       print the version

  exit codes: 0 success, 1 invalid spec, 2 usage error, 3 data error,
              4 training diverged, 5 output not written, 6 gradient check failed,
              130 interrupted
  """

/// Turns each kind of failure into its message on stderr and its exit code.
func exitCode(for error: Error) -> ExitCode {
  switch error {
  case let error as UsageError:
    printError("nnc: \(error.message)\nRun 'nnc --help' for usage.")
    return .usage
  case let error as SpecErrors:
    printError(error.description)
    let count = error.diagnostics.filter { $0.severity == .error }.count
    printError("\(count) error\(count == 1 ? "" : "s") in the spec")
    return .invalidSpec
  case let error as DataError:
    printError(error.description)
    return .invalidData
  case let error as OutputError:
    printError("nnc: \(error.message)")
    return .outputFailed
  default:
    printError("nnc: \(error)")
    return .invalidData
  }
}

/// Writes all of `text` to file descriptor `fd` with write(2), which reports
/// a closed or full stream by its result rather than by trapping as
/// FileHandle does. Returns errno on failure, 0 on success.
@discardableResult
func writeAll(_ fd: Int32, _ text: String) -> Int32 {
  var bytes = Array(text.utf8)
  var written = 0
  while written < bytes.count {
    let count = bytes.withUnsafeMutableBytes {
      write(fd, $0.baseAddress! + written, $0.count - written)
    }
    if count < 0, errno == EINTR { continue }
    guard count > 0 else { return errno }
    written += count
  }
  return 0
}

/// The first error writing to stdout, checked when the command ends.
nonisolated(unsafe) private var standardOutputError: Int32 = 0

/// The tool's `print`: results go to stdout unbuffered through `writeAll`,
/// and a failed write is remembered, so a full disk or a closed pipe becomes
/// exit code 5 rather than a silent success.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
  let error = writeAll(1, items.map { "\($0)" }.joined(separator: separator) + terminator)
  if standardOutputError == 0 { standardOutputError = error }
}

/// A line on stderr; when stderr itself is gone, nothing more can be said.
func printError(_ text: String) {
  writeAll(2, text + "\n")
}

/// Makes sure what the command printed reached stdout.
func finished(_ code: ExitCode) -> ExitCode {
  guard standardOutputError != 0 else { return code }
  printError(
    "nnc: could not write to standard output: \(String(cString: strerror(standardOutputError)))")
  return code == .success ? .outputFailed : code
}

// A reader that goes away (`nnc … | head`) is an output error, not a signal
// that kills the process before it can say so.
signal(SIGPIPE, SIG_IGN)

func main() -> ExitCode {
  var words = CommandLine.arguments.dropFirst()
  guard let command = words.popFirst() else {
    print(usage)
    return .usage
  }
  do {
    switch command {
    case "-h", "--help", "help":
      print(usage)
      return .success
    case "--version", "version":
      print("nnc \(nncVersion)")
      return .success
    case "run": return try RunCommand.main(words)
    case "validate": return try ValidateCommand.main(words)
    case "plan": return try PlanCommand.main(words)
    case "schema": return try SchemaCommand.main(words)
    case "gradcheck": return try GradientCheckCommand.main(words)
    case "bench": return try BenchCommand.main(words)
    case "evaluate": return try EvaluateCommand.main(words)
    case "predict": return try PredictCommand.main(words)
    case "report": return try ReportCommand.main(words)
    default:
      let commands = [
        "run", "validate", "plan", "schema", "gradcheck", "bench", "evaluate", "predict",
        "report", "help", "version",
      ]
      var message = "unknown command '\(command)'"
      if let near = NearestName.suggestion(for: command, among: commands) {
        message += "; did you mean '\(near)'?"
      }
      throw UsageError(message)
    }
  } catch {
    return exitCode(for: error)
  }
}

exit(finished(main()).rawValue)
