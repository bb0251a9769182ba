import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The progress bar of the epoch in progress, redrawn in place on stderr:
///
///     epoch  3/20 ━━━━━━━━━━━━━━╸━━━━━━━━━━━━━━━  47%  312 steps/s  0:01 left
///
/// Shown only when stderr is a terminal (not for CI logs, pipes or files),
/// not under `--quiet` or `TERM=dumb`; coloured unless `NO_COLOR` is set.
/// Redrawn at most ten times a second, so it costs nothing per step.
final class ProgressBar {
  let isShown: Bool
  private let isColored: Bool
  private let epochs: Int
  private let clock = ContinuousClock()
  private var lastDraw: ContinuousClock.Instant
  /// Where the current epoch's timing started: the step count and the time.
  private var origin: (step: Int, time: ContinuousClock.Instant)?
  private var lastStep = 0
  private var isOnScreen = false

  init(epochs: Int, quiet: Bool, environment: [String: String]) {
    self.epochs = epochs
    let terminal = isatty(STDERR_FILENO) == 1 && environment["TERM"] != "dumb"
    isShown = terminal && !quiet
    isColored = isShown && (environment["NO_COLOR"] ?? "").isEmpty
    lastDraw = clock.now
  }

  /// After step `done` of `total` in epoch `epoch` (1-based).
  func step(_ done: Int, of total: Int, epoch: Int) {
    guard isShown else { return }
    let now = clock.now
    if done <= lastStep || origin == nil { origin = (done, now) }
    lastStep = done
    guard now - lastDraw >= .milliseconds(100) || done == total else { return }
    lastDraw = now
    draw(done, of: total, epoch: epoch, now: now)
  }

  /// Removes the bar, so that a line can be printed where it was.
  func clear() {
    guard isOnScreen else { return }
    writeAll(2, "\r\u{1B}[2K")
    isOnScreen = false
  }

  /// The epoch ended: the next step starts new timing.
  func endEpoch() {
    origin = nil
    lastStep = 0
  }

  private func draw(_ done: Int, of total: Int, epoch: Int, now: ContinuousClock.Instant) {
    let fraction = total > 0 ? Double(done) / Double(total) : 1
    let width = String(epochs).count
    let number = String(repeating: " ", count: max(0, width - String(epoch).count)) + "\(epoch)"
    var tail = "  \(String(format: "%3d", Int(fraction * 100)))%"
    if let origin, done > origin.step {
      let seconds = (now - origin.time).seconds
      let rate = Double(done - origin.step) / max(seconds, 1e-9)
      tail += "  \(format(rate, digits: rate < 10 ? 1 : 0)) steps/s"
      tail += "  \(Self.clockTime(Double(total - done) / rate)) left"
    }
    let head = "epoch \(number)/\(epochs) "
    let columns = Self.terminalColumns()
    let barWidth = max(10, min(40, columns - head.count - tail.count - 1))
    let filled = Int((fraction * Double(barWidth)).rounded(.down))
    var bar = String(repeating: "━", count: filled)
    let rest = String(repeating: "━", count: barWidth - filled)
    if isColored {
      bar = "\u{1B}[32m" + bar + "\u{1B}[90m" + rest + "\u{1B}[0m"
    } else {
      bar += String(repeating: "─", count: barWidth - filled)
    }
    writeAll(2, "\r\u{1B}[2K" + head + bar + tail)
    isOnScreen = true
  }

  /// `m:ss`, or `h:mm:ss` from an hour on.
  static func clockTime(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let whole = Int(seconds.rounded(.up))
    let (hours, minutes, rest) = (whole / 3600, whole / 60 % 60, whole % 60)
    return hours > 0
      ? String(format: "%d:%02d:%02d", hours, minutes, rest)
      : String(format: "%d:%02d", minutes, rest)
  }

  /// stderr's width in columns, 80 when it cannot be asked.
  static func terminalColumns() -> Int {
    var size = winsize()
    guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
    return Int(size.ws_col)
  }
}
