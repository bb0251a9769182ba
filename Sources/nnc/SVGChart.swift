import Foundation

/// Line charts as standalone SVG: side-by-side panels with axes, ticks,
/// labels and a shared legend, in plain SVG 1.1 that browsers and GitHub
/// render. Every coordinate is printed with two decimals, so the same data
/// gives the same bytes.
struct LineChart {
  struct Series {
    var label: String
    /// A CSS colour.
    var color: String
    var style: Style
    /// (x, y) pairs; a non-finite y breaks the line.
    var points: [(x: Double, y: Double)]
  }

  enum Style: String {
    case solid, dashed, dotted

    var dashArray: String? {
      switch self {
      case .solid: nil
      case .dashed: "6 4"
      case .dotted: "2 3"
      }
    }
  }

  struct Panel {
    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series]
  }

  var title: String
  var panels: [Panel]

  // Layout, in SVG user units (pixels).
  private let panelWidth = 460.0
  private let panelHeight = 320.0
  private let margin = (left: 64.0, right: 20.0, top: 34.0, bottom: 48.0)
  private let titleHeight = 34.0
  private let legendRow = 20.0

  func svg() -> String {
    let shown = panels.filter { $0.series.contains { !$0.points.isEmpty } }
    let legend = legendEntries(shown)
    let columns = max(1, Int((panelWidth * Double(max(shown.count, 1))) / 230))
    let legendRows = (legend.count + columns - 1) / columns
    let width = panelWidth * Double(max(shown.count, 1))
    let height = titleHeight + panelHeight + Double(legendRows) * legendRow + 12

    var out = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" \
      viewBox="0 0 \(f(width)) \(f(height))" font-family="Helvetica, Arial, sans-serif" \
      font-size="12">

      """
    out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
    out += text(title, x: width / 2, y: 22, size: 15, anchor: "middle", weight: "bold")
    if shown.isEmpty {
      out += text("no epochs to draw", x: width / 2, y: titleHeight + 40, anchor: "middle")
    }
    for (index, panel) in shown.enumerated() {
      out += draw(panel, left: Double(index) * panelWidth, top: titleHeight)
    }

    // The legend, in rows under the panels.
    let cell = width / Double(columns)
    for (index, entry) in legend.enumerated() {
      let x = Double(index % columns) * cell + 16
      let y = titleHeight + panelHeight + Double(index / columns) * legendRow + 10
      out += line(
        x1: x, y1: y, x2: x + 28, y2: y, color: entry.color, style: entry.style, width: 2.5)
      out += text(entry.label, x: x + 34, y: y + 4)
    }
    return out + "</svg>\n"
  }

  /// Each distinct (label, colour, style) once, in the order first drawn.
  private func legendEntries(_ panels: [Panel]) -> [Series] {
    var entries: [Series] = []
    for series in panels.flatMap(\.series) where !series.points.isEmpty {
      if !entries.contains(where: {
        $0.label == series.label && $0.color == series.color && $0.style == series.style
      }) {
        entries.append(
          Series(label: series.label, color: series.color, style: series.style, points: []))
      }
    }
    return entries
  }

  private func draw(_ panel: Panel, left: Double, top: Double) -> String {
    let plot = (
      x: left + margin.left, y: top + margin.top,
      width: panelWidth - margin.left - margin.right,
      height: panelHeight - margin.top - margin.bottom
    )
    let points = panel.series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
    let xs = Axis(points.map(\.x), integers: true)
    let ys = Axis(points.map(\.y), integers: false)
    func px(_ x: Double) -> Double { plot.x + (x - xs.low) / (xs.high - xs.low) * plot.width }
    func py(_ y: Double) -> Double {
      plot.y + plot.height - (y - ys.low) / (ys.high - ys.low) * plot.height
    }

    var out = "<g>\n"
    out += text(panel.title, x: plot.x + plot.width / 2, y: top + 20, size: 13, anchor: "middle")
    // Grid lines and tick labels.
    for tick in ys.ticks {
      let y = py(tick)
      out += line(x1: plot.x, y1: y, x2: plot.x + plot.width, y2: y, color: "#e4e4e4")
      out += text(ys.label(tick), x: plot.x - 6, y: y + 4, anchor: "end")
    }
    for tick in xs.ticks {
      let x = px(tick)
      out += line(x1: x, y1: plot.y, x2: x, y2: plot.y + plot.height, color: "#f0f0f0")
      out += text(xs.label(tick), x: x, y: plot.y + plot.height + 16, anchor: "middle")
    }
    // Axes.
    out += line(
      x1: plot.x, y1: plot.y + plot.height, x2: plot.x + plot.width, y2: plot.y + plot.height,
      color: "#333333")
    out += line(x1: plot.x, y1: plot.y, x2: plot.x, y2: plot.y + plot.height, color: "#333333")
    out += text(
      panel.xLabel, x: plot.x + plot.width / 2, y: plot.y + plot.height + 36, anchor: "middle")
    let middle = plot.y + plot.height / 2
    out +=
      "<text x=\"\(f(left + 16))\" y=\"\(f(middle))\" text-anchor=\"middle\" "
      + "transform=\"rotate(-90 \(f(left + 16)) \(f(middle)))\">\(escaped(panel.yLabel))</text>\n"

    for series in panel.series {
      // A non-finite value ends one polyline; the next finite one starts another.
      var pieces: [[(Double, Double)]] = [[]]
      for point in series.points {
        if point.x.isFinite, point.y.isFinite {
          pieces[pieces.count - 1].append((px(point.x), py(point.y)))
        } else if !(pieces.last?.isEmpty ?? true) {
          pieces.append([])
        }
      }
      for piece in pieces where !piece.isEmpty {
        if piece.count == 1 {
          out +=
            "<circle cx=\"\(f(piece[0].0))\" cy=\"\(f(piece[0].1))\" r=\"3\" "
            + "fill=\"\(series.color)\"/>\n"
          continue
        }
        let coordinates = piece.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
        out += "<polyline fill=\"none\" stroke=\"\(series.color)\" stroke-width=\"1.8\""
        if let dash = series.style.dashArray { out += " stroke-dasharray=\"\(dash)\"" }
        out += " points=\"\(coordinates)\"/>\n"
      }
    }
    return out + "</g>\n"
  }

  private func line(
    x1: Double, y1: Double, x2: Double, y2: Double, color: String, style: Style = .solid,
    width: Double? = nil
  ) -> String {
    var out = "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" "
    out += "stroke=\"\(color)\""
    if let width { out += " stroke-width=\"\(f(width))\"" }
    if let dash = style.dashArray { out += " stroke-dasharray=\"\(dash)\"" }
    return out + "/>\n"
  }

  private func text(
    _ content: String, x: Double, y: Double, size: Int = 12, anchor: String = "start",
    weight: String? = nil
  ) -> String {
    var out = "<text x=\"\(f(x))\" y=\"\(f(y))\""
    if size != 12 { out += " font-size=\"\(size)\"" }
    if anchor != "start" { out += " text-anchor=\"\(anchor)\"" }
    if let weight { out += " font-weight=\"\(weight)\"" }
    return out + ">\(escaped(content))</text>\n"
  }

  private func f(_ value: Double) -> String { String(format: "%.2f", value) }

  private func escaped(_ text: String) -> String {
    var out = ""
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      default: out.append(character)
      }
    }
    return out
  }
}

/// An axis range with round tick values: steps of 1, 2 or 5 times a power
/// of ten, about five of them, the range widened to whole steps.
private struct Axis {
  var low: Double
  var high: Double
  var step: Double

  init(_ values: [Double], integers: Bool) {
    var low = values.min() ?? 0
    var high = values.max() ?? 1
    if high - low < 1e-12 * max(abs(low), abs(high), 1) {
      // One value, or all equal: a window around it.
      let pad = integers ? 1 : max(abs(low) * 0.1, 0.1)
      low -= pad
      high += pad
    }
    let raw = (high - low) / 5
    let power = pow(10, (log10(raw)).rounded(.down))
    let scaled = raw / power
    var step = (scaled < 1.5 ? 1 : scaled < 3 ? 2 : scaled < 7 ? 5 : 10) * power
    if integers { step = max(step.rounded(.up), 1) }
    self.step = step
    self.low = integers ? low : (low / step).rounded(.down) * step
    self.high = integers ? high : (high / step).rounded(.up) * step
  }

  var ticks: [Double] {
    var ticks: [Double] = []
    // The tolerance keeps a bound that is a whole step up to rounding a tick.
    var tick = (low / step - 1e-9).rounded(.up) * step
    while tick <= high + step * 1e-9, ticks.count < 50 {
      ticks.append(tick)
      tick += step
    }
    return ticks
  }

  func label(_ value: Double) -> String {
    let decimals = max(0, Int(-(log10(step)).rounded(.down)))
    // A tick that is zero up to rounding prints as 0, not -0.
    return String(format: "%.\(decimals)f", abs(value) < step * 1e-9 ? 0 : value)
  }
}

// MARK: - Training curves

/// history.csv read back: each column's values by name, `nil` where a field
/// is empty or not a number.
struct HistoryTable {
  var columns: [String: [Double?]] = [:]

  init(csv: String) {
    var lines = csv.split(separator: "\n", omittingEmptySubsequences: true)
    guard !lines.isEmpty else { return }
    let names = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false)
      .map(String.init)
    for name in names { columns[name] = [] }
    for line in lines {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false)
      for (index, name) in names.enumerated() {
        columns[name]?.append(index < fields.count ? Double(fields[index]) : nil)
      }
    }
  }

  /// (epoch, value) for each row where `column` has a value.
  func points(_ column: String) -> [(x: Double, y: Double)] {
    guard let values = columns[column], let epochs = columns["epoch"] else { return [] }
    return zip(epochs, values).compactMap { epoch, value in
      guard let epoch, let value else { return nil }
      return (epoch, value)
    }
  }
}

/// The loss and accuracy (or R²) charts of one or more runs.
enum Curves {
  /// Colours told apart by most readers, including most colour-blind ones.
  static let palette = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
  ]

  /// One run: a colour per data set. Several runs: a colour per run and a
  /// line style per data set (training dashed, validation solid, test dotted).
  static func chart(title: String, runs: [(name: String, table: HistoryTable)]) -> LineChart {
    let sets: [(column: String, label: String, style: LineChart.Style)] = [
      ("train", "training", .dashed), ("validation", "validation", .solid),
      ("test", "test", .dotted),
    ]
    let isRegression = runs.contains { $0.table.columns["validation_r2"] != nil }
    let figure = isRegression ? "r2" : "accuracy"
    var loss = LineChart.Panel(title: "Loss", xLabel: "epoch", yLabel: "loss", series: [])
    var score = LineChart.Panel(
      title: isRegression ? "R²" : "Accuracy", xLabel: "epoch",
      yLabel: isRegression ? "R²" : "accuracy", series: [])
    for (runIndex, run) in runs.enumerated() {
      for (setIndex, set) in sets.enumerated() {
        let color =
          runs.count == 1
          ? palette[setIndex % palette.count] : palette[runIndex % palette.count]
        let label = runs.count == 1 ? set.label : "\(run.name) \(set.label)"
        let style: LineChart.Style = runs.count == 1 ? .solid : set.style
        loss.series.append(
          LineChart.Series(
            label: label, color: color, style: style,
            points: run.table.points("\(set.column)_loss")
          ))
        score.series.append(
          LineChart.Series(
            label: label, color: color, style: style,
            points: run.table.points("\(set.column)_\(figure)")))
      }
    }
    return LineChart(title: title, panels: [loss, score])
  }
}
