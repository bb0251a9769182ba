import Foundation
import Planner
import Runtime
import SpecParser

/// Everything `nnc validate` finds in one spec, from every stage that can
/// run: the YAML and the spec's own rules, its data files' headers, and the
/// plan with its memory budget. A stage runs on what the stages before it
/// produced, even after they found errors, so that one run reports as much
/// as can be known.
struct SpecReport {
  /// What has to change to fix a problem: the spec (exit code 1) or a data
  /// file, or the spec's view of one (exit code 3, as `nnc run` exits).
  enum Category: String {
    case spec, data
  }

  struct Finding {
    var diagnostic: Diagnostic
    var category: Category
  }

  var file: String
  /// Sorted: the spec file's positions first, then any data file's.
  var errors: [Finding]
  var warnings: [Diagnostic]
  /// The compiled plan, when the spec has no errors at all.
  var plan: Plan?

  /// Runs every check on the spec file at `path`.
  static func check(_ path: String, budget: MemoryBudget) -> SpecReport {
    let checked = SpecReader.check(path: path)
    var report = SpecReport(
      file: path, errors: checked.errors.map { Finding(diagnostic: $0, category: .spec) },
      warnings: checked.warnings, plan: nil)
    report.addChecks(of: checked, budget: budget)
    report.sortErrors()
    return report
  }

  /// Adds what the data and the planner find in the decoded spec.
  private mutating func addChecks(of checked: SpecCheck, budget: MemoryBudget) {
    guard let spec = checked.spec else { return }

    // A data key in error holds a stand-in value: reading files through it
    // would report problems the user did not write.
    guard !checked.overlaps("data") else { return }
    let missing = Self.missingFiles(spec)
    errors += missing.map { Finding(diagnostic: $0, category: .data) }
    guard missing.isEmpty else { return }
    let shape: DataShape
    do {
      shape = try DataProbe.shape(of: spec.data, byteLimit: budget.bytes)
    } catch {
      errors.append(Finding(diagnostic: Self.locate(error, in: spec), category: .data))
      return
    }

    do {
      let plan = try Planner.plan(spec, shape: shape, budget: budget)
      if checked.errors.isEmpty { self.plan = plan }
    } catch {
      for diagnostic in error.diagnostics where !checked.overlaps(diagnostic.keyPath) {
        errors.append(Finding(diagnostic: diagnostic, category: .spec))
      }
    }
  }

  /// Errors by position, the spec file's before any data file's.
  mutating func sortErrors() {
    let file = self.file
    errors.sort {
      let (a, b) = ($0.diagnostic.location, $1.diagnostic.location)
      if (a.file == file) != (b.file == file) { return a.file == file }
      return a < b
    }
  }

  // MARK: - Data files

  /// The data paths a spec names, each with its key path.
  static func dataFiles(_ spec: Spec) -> [(keyPath: String, path: String)] {
    var files: [(String, String)] = []
    for (name, source) in [("train", spec.data.train), ("test", spec.data.test)] {
      switch source {
      case .csv(let path): files.append(("data.\(name).csv", path))
      case .idx(let images, let labels):
        files.append(("data.\(name).images", images))
        files.append(("data.\(name).labels", labels))
      case nil: break
      }
    }
    return files
  }

  /// A diagnostic at the path's value for every data file that does not
  /// exist or is a folder, with the nearest file name in its folder.
  static func missingFiles(_ spec: Spec) -> [Diagnostic] {
    var problems: [Diagnostic] = []
    for (keyPath, path) in dataFiles(spec) {
      var isFolder: ObjCBool = false
      let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
      if exists, !isFolder.boolValue { continue }
      let url = URL(fileURLWithPath: path)
      let folder = url.deletingLastPathComponent().path
      var hint = "data paths are resolved against the spec file's folder"
      if exists {
        hint = "name the file inside the folder"
      } else if let names = try? FileManager.default.contentsOfDirectory(atPath: folder),
        let near = NearestName.suggestion(for: url.lastPathComponent, among: names.sorted())
      {
        hint = "did you mean '\(near)'?"
      }
      problems.append(
        Diagnostic(
          at: spec.location(of: keyPath), keyPath: keyPath,
          exists ? "\(path) is a folder, not a data file" : "data file not found: \(path)",
          hint: hint))
    }
    return problems
  }

  /// A data error placed where it can be fixed: at the spec value that names
  /// the file, column or pairing at fault, or at the row and field of the
  /// data file when the file's contents are.
  static func locate(_ error: DataError, in spec: Spec) -> Diagnostic {
    let files = dataFiles(spec)
    let fileKey = files.first { $0.path == error.file }?.keyPath ?? "data.train"
    let isTest = fileKey.hasPrefix("data.test")
    var keyPath = fileKey
    switch error.kind {
    case .missingColumn where !isTest:
      // The message names the column; find which key asked for it.
      let named =
        (spec.data.label.map { [("data.label", $0)] } ?? [])
        + (spec.data.targets ?? []).enumerated().map { ("data.targets[\($0.offset)]", $0.element) }
        + (spec.data.features ?? []).enumerated().map {
          ("data.features[\($0.offset)]", $0.element)
        }
      keyPath = named.first { error.message.contains("column '\($0.1)'") }?.0 ?? "data"
    case .invalidSpec:
      keyPath = isTest ? "data.test" : "data"
    case .countMismatch:
      // Images and labels that disagree are usually a pairing mistake in the spec.
      keyPath = fileKey.replacingOccurrences(of: ".images", with: ".labels")
    case .fileNotFound, .notAFile, .missingColumn, .shapeMismatch:
      break
    default:
      if let row = error.row {
        // The file's contents are at fault: point into the file itself.
        return Diagnostic(
          at: SourceLocation(file: error.file, line: row, column: error.column ?? 1),
          keyPath: fileKey, error.message, hint: error.hint)
      }
    }
    var message = "\(error.file): "
    if let record = error.record { message += "record \(record): " }
    message += error.message
    return Diagnostic(
      at: spec.location(of: keyPath), keyPath: keyPath, message, hint: error.hint)
  }
}
