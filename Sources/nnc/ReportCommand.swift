import Foundation
import Runtime

/// `nnc report RUN_DIR...`: several runs' curves on one chart, and their final figures.
enum ReportCommand {
  static let help = """
    usage: nnc report RUN_DIR... [--output FILE] [--title TEXT]

    Reads the history.csv and metrics.json of each run folder that nnc run
    wrote and draws their loss and accuracy (or R²) per epoch on one chart:
    a colour per run, training dashed, validation solid, test dotted. Writes
    the SVG to FILE (default: report.svg) and prints each run's final
    figures.

    options:
      --output FILE   where to write the chart
      --title TEXT    the chart's title (default: the runs' names)
    """

  static func main(_ words: ArraySlice<String>) throws -> ExitCode {
    let arguments = try Arguments(
      words, shape: .init(options: ["output", "title"], flags: ["help"]))
    if arguments.flags.contains("help") {
      print(help)
      return .success
    }
    guard !arguments.positionals.isEmpty else {
      throw UsageError("report takes one or more run folders (written by nnc run)")
    }

    var loaded:
      [(folder: String, name: String, table: HistoryTable, metrics: [String: JSONValue])] =
        []
    for folder in arguments.positionals {
      let history = folder + "/history.csv"
      guard let text = try? String(contentsOfFile: history, encoding: .utf8) else {
        // The run folder is input here: a missing one is a usage mistake.
        throw UsageError("cannot read \(history): is \(folder) a folder that nnc run wrote?")
      }
      let metrics =
        (try? String(contentsOfFile: folder + "/metrics.json", encoding: .utf8))
        .flatMap { try? JSONValue.parse($0) }?.objectValue ?? [:]
      let name = metrics["name"]?.stringValue ?? URL(fileURLWithPath: folder).lastPathComponent
      loaded.append((folder, name, HistoryTable(csv: text), metrics))
    }
    // Runs are labelled by name, or by folder where two share a name
    // (two runs of one spec with different --set values, say).
    let namesAreDistinct = Set(loaded.map(\.name)).count == loaded.count
    let runs = loaded.map { (name: namesAreDistinct ? $0.name : $0.folder, table: $0.table) }

    var rows: [[String]] = [["run", "epochs", "stopped", "set", "loss", "accuracy/r2"]]
    for (run, label) in zip(loaded, runs.map(\.name)) {
      let metrics = run.metrics
      let set = ["test", "validation", "train"].first { metrics[$0] != nil }
      let figures = set.flatMap { metrics[$0]?.objectValue } ?? [:]
      let score = figures["accuracy"] ?? figures["r2"]
      rows.append([
        label, metrics["epochs"]?.integerValue.map(String.init) ?? "?",
        metrics["stop_reason"]?.stringValue ?? "?", set ?? "-",
        figures["loss"]?.doubleValue.map { format($0, digits: 5) } ?? "-",
        score?.doubleValue.map { format($0, digits: 4) } ?? "-",
      ])
    }

    let title = arguments.value("title") ?? runs.map(\.name).joined(separator: " vs ")
    let chart = Curves.chart(title: title, runs: runs)
    let output = arguments.value("output") ?? "report.svg"
    do {
      try writeAtomically(Data(chart.svg().utf8), to: output)
    } catch {
      throw OutputError(message: "cannot write \(output): \(RunDirectory.reason(error))")
    }

    let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
    for row in rows {
      let cells = zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }
      print(cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
    }
    print("chart written to \(output)")
    return .success
  }
}
