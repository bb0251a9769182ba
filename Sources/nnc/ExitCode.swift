/// nnc's exit codes, documented in the README. Only the command-line tool
/// turns errors into text and exit codes; the stages below it throw.
enum ExitCode: Int32 {
  case success = 0
  /// The spec has errors (or, with --strict, warnings).
  case invalidSpec = 1
  /// nnc was called wrongly: unknown command or option, missing argument.
  case usage = 2
  /// A data file is missing, unreadable or does not match the spec.
  case invalidData = 3
  /// Training stopped because the loss or the parameters became NaN or infinite.
  case diverged = 4
  /// An output file could not be written.
  case outputFailed = 5
  /// `nnc gradcheck` found a gradient that disagrees with finite differences.
  case checkFailed = 6
  /// Interrupted by SIGINT after saving what it had.
  case interrupted = 130
}
