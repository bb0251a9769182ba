import Foundation
import Planner
import Runtime
import SpecParser

/// `nnc validate SPEC…`: every check that runs before training, on many specs.
enum ValidateCommand {
  static let help = """
    usage: nnc validate SPEC... [--strict] [--format text|json|github] [--max-memory SIZE]

    Reads each spec, checks it, checks its data files' headers against it,
    and compiles its plan, without training. Every problem found is reported,
    sorted by position, as
      file:line:column: error: message (at key.path)
        hint: how to fix it
    Warnings (no seed, no test data, a learning rate above 10) are listed
    after the errors and do not fail a spec unless --strict is given.

    options:
      --strict           treat warnings as errors
      --format FORMAT    text (default, on stderr), json (a report on stdout),
                         or github (GitHub Actions annotations on stdout)
    \(MemoryBudget.optionHelp)

    exit codes: 0 every spec valid, 1 some spec invalid, 2 usage error,
                3 no spec invalid but a data file missing or malformed
    """

  enum Format: String, CaseIterable {
    case text, json, github
  }

  static func main(_ words: ArraySlice<String>) throws -> ExitCode {
    let arguments = try Arguments(
      words, shape: .init(options: ["format", "max-memory"], flags: ["help", "strict"]))
    if arguments.flags.contains("help") {
      print(help)
      return .success
    }
    let formatName = arguments.value("format") ?? "text"
    guard let format = Format(rawValue: formatName) else {
      throw UsageError("--format is text, json or github, not '\(formatName)'")
    }
    guard !arguments.positionals.isEmpty else { throw UsageError("validate takes spec files") }
    let budget = try MemoryBudget.from(arguments)
    let strict = arguments.flags.contains("strict")

    var reports = arguments.positionals.map { SpecReport.check($0, budget: budget) }
    if strict {
      for index in reports.indices {
        reports[index].promoteWarnings()
      }
    }
    switch format {
    case .text: printText(reports)
    case .json: print(json(reports, strict: strict).rendered(), terminator: "")
    case .github: printGitHub(reports)
    }
    return exitCode(reports)
  }

  /// 1 when any spec has a spec error, else 3 when any has a data error, else 0.
  static func exitCode(_ reports: [SpecReport]) -> ExitCode {
    let categories = reports.flatMap { $0.errors.map(\.category) }
    if categories.contains(.spec) { return .invalidSpec }
    if categories.contains(.data) { return .invalidData }
    return .success
  }

  // MARK: - Text

  /// Diagnostics on stderr as a compiler prints them, errors before
  /// warnings; one verdict line per spec on stdout.
  static func printText(_ reports: [SpecReport]) {
    for report in reports {
      for finding in report.errors { printError(finding.diagnostic.description) }
      for warning in report.warnings { printError(warning.description) }
      var verdict = "\(report.file): \(report.errors.isEmpty ? "valid" : "invalid")"
      let counts = [(report.errors.count, "error"), (report.warnings.count, "warning")]
        .filter { $0.0 > 0 }.map { "\($0.0) \($0.1)\($0.0 == 1 ? "" : "s")" }
      if !counts.isEmpty { verdict += " (\(counts.joined(separator: ", ")))" }
      print(verdict)
      // Keeps each verdict after its diagnostics when stdout is a pipe.
      fflush(nil)
    }
    if reports.count > 1 {
      let invalid = reports.filter { !$0.errors.isEmpty }.count
      print("\(reports.count) specs: \(reports.count - invalid) valid, \(invalid) invalid")
    }
  }

  // MARK: - JSON

  /// The report as one JSON document:
  /// `{valid, strict, error_count, warning_count, specs: [{file, valid,
  /// errors: [diagnostic], warnings: [diagnostic]}]}`, each diagnostic
  /// `{severity, category, file, line, column, key_path, message, hint}`.
  static func json(_ reports: [SpecReport], strict: Bool) -> JSONValue {
    func value(_ diagnostic: Diagnostic, category: SpecReport.Category?) -> JSONValue {
      var members: [String: JSONValue] = [
        "severity": .string(diagnostic.severity.rawValue),
        "file": .string(diagnostic.location.file),
        "line": .integer(diagnostic.location.line),
        "column": .integer(diagnostic.location.column),
        "key_path": .string(diagnostic.keyPath),
        "message": .string(diagnostic.message),
        "hint": diagnostic.hint.map { .string($0) } ?? .null,
      ]
      if let category { members["category"] = .string(category.rawValue) }
      return .object(members)
    }
    let specs = reports.map { report -> JSONValue in
      .object([
        "file": .string(report.file),
        "valid": .bool(report.errors.isEmpty),
        "errors": .array(report.errors.map { value($0.diagnostic, category: $0.category) }),
        "warnings": .array(report.warnings.map { value($0, category: nil) }),
      ])
    }
    let errorCount = reports.reduce(0) { $0 + $1.errors.count }
    return .object([
      "valid": .bool(errorCount == 0),
      "strict": .bool(strict),
      "error_count": .integer(errorCount),
      "warning_count": .integer(reports.reduce(0) { $0 + $1.warnings.count }),
      "specs": .array(specs),
    ])
  }

  // MARK: - GitHub Actions

  /// One workflow command per diagnostic, which GitHub shows on the pull
  /// request's lines: `::error file=F,line=L,col=C,title=T::message`.
  static func printGitHub(_ reports: [SpecReport]) {
    for report in reports {
      for finding in report.errors { print(annotation(finding.diagnostic)) }
      for warning in report.warnings { print(annotation(warning)) }
    }
    let errors = reports.reduce(0) { $0 + $1.errors.count }
    let warnings = reports.reduce(0) { $0 + $1.warnings.count }
    let counts = [(reports.count, "spec"), (errors, "error"), (warnings, "warning")]
    print(
      "nnc validate: " + counts.map { "\($0) \($1)\($0 == 1 ? "" : "s")" }.joined(separator: ", "))
  }

  static func annotation(_ diagnostic: Diagnostic) -> String {
    let location = diagnostic.location
    var message = diagnostic.message
    if !diagnostic.keyPath.isEmpty { message += " (at \(diagnostic.keyPath))" }
    if let hint = diagnostic.hint { message += "\nhint: \(hint)" }
    let properties = [
      "file=\(escapeProperty(location.file))", "line=\(location.line)", "col=\(location.column)",
      "title=\(escapeProperty("nnc validate"))",
    ]
    return "::\(diagnostic.severity.rawValue) \(properties.joined(separator: ","))::"
      + escapeData(message)
  }

  /// GitHub's escaping of a command's message: %, CR and LF.
  static func escapeData(_ text: String) -> String {
    text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
      .replacingOccurrences(of: "\n", with: "%0A")
  }

  /// GitHub's escaping of a property value: the message's, plus ':' and ','.
  static func escapeProperty(_ text: String) -> String {
    escapeData(text).replacingOccurrences(of: ":", with: "%3A")
      .replacingOccurrences(of: ",", with: "%2C")
  }
}

extension SpecReport {
  /// `--strict`: every warning becomes an error of the spec.
  mutating func promoteWarnings() {
    for var warning in warnings {
      warning.severity = .error
      errors.append(Finding(diagnostic: warning, category: .spec))
    }
    warnings = []
    plan = nil
    sortErrors()
  }
}
