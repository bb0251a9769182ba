/// How many bytes a plan may use. The planner refuses a plan whose training
/// run would hold more, naming the figure and what is responsible, so that
/// the failure comes before training instead of in an allocation.
///
/// The planner stays a pure function: the command line decides the budget
/// (the machine's available memory, or `--max-memory`) and passes it in.
public struct MemoryBudget: Sendable, Equatable {
  /// The limit in bytes; `nil` means no limit.
  public var bytes: Int?
  /// Where the limit comes from, as messages name it: "--max-memory".
  public var source: String

  public init(bytes: Int?, source: String) {
    self.bytes = bytes
    self.source = source
  }

  public static let unlimited = MemoryBudget(bytes: nil, source: "no limit")

  /// Whether `bytes` fit.
  public func allows(_ bytes: Int) -> Bool {
    guard let limit = self.bytes else { return true }
    return bytes <= limit
  }

  // MARK: - Reading sizes

  /// Bytes per unit, binary units first; a unit's spelling is matched
  /// ignoring case, so `512mib` and `2GB` read as they look.
  private static let units: [(name: String, bytes: Double)] = [
    ("b", 1),
    ("kib", 1024), ("mib", 1_048_576), ("gib", 1_073_741_824), ("tib", 1_099_511_627_776),
    ("k", 1024), ("m", 1_048_576), ("g", 1_073_741_824), ("t", 1_099_511_627_776),
    ("kb", 1e3), ("mb", 1e6), ("gb", 1e9), ("tb", 1e12),
  ]

  /// A byte count written as a number and an optional unit: `1000000`,
  /// `512MiB`, `2GiB`, `1.5 GB`, `64k`. Binary units (KiB, MiB, GiB, TiB and
  /// the bare K, M, G, T) are powers of 1024, decimal ones (kB, MB, GB, TB)
  /// powers of 1000. `nil` for anything else, for zero, and for sizes beyond
  /// what an `Int` holds.
  public static func byteCount(parsing text: String) -> Int? {
    let trimmed = text.trimmingSpaces()
    let digits = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
    let unit = trimmed.dropFirst(digits.count).trimmingSpaces().lowercased()
    guard !digits.isEmpty, digits.first != ".", digits.last != ".",
      digits.filter({ $0 == "." }).count <= 1, let number = Double(digits)
    else { return nil }
    let scale = unit.isEmpty ? 1 : units.first { $0.name == unit }?.bytes
    // A count of bytes is whole: `1.5` with no unit is a mistake, not 1 byte.
    guard let scale, !(unit.isEmpty && digits.contains(".")) else { return nil }
    let bytes = (number * scale).rounded(.down)
    guard bytes >= 1, bytes < 0x1p63 else { return nil }
    return Int(bytes)
  }

  /// `MemAvailable` from the text of Linux's `/proc/meminfo`, in bytes (the
  /// file counts in kibibytes though it writes "kB"); `nil` when absent.
  public static func availableBytes(meminfo: String) -> Int? {
    for line in meminfo.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
      let fields = line.dropFirst("MemAvailable:".count).split(separator: " ")
      guard let amount = fields.first.flatMap({ Int($0) }), amount >= 0 else { return nil }
      let unit = fields.count > 1 ? fields[1].lowercased() : "b"
      let scale = unit == "kb" ? 1024 : unit == "mb" ? 1_048_576 : 1
      let (bytes, overflow) = amount.multipliedReportingOverflow(by: scale)
      return overflow ? nil : bytes
    }
    return nil
  }
}

/// Sizes and counts as people read them.
public enum Quantity {
  /// `"512 B"`, `"3.10 KiB"`, `"1.50 GiB"`: three significant digits in the
  /// largest binary unit that keeps the number at least 1.
  public static func bytes(_ count: Int) -> String {
    guard count >= 1024 else { return "\(count) B" }
    let names = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(count) / 1024
    var index = 0
    while value >= 1024, index < names.count - 1 {
      value /= 1024
      index += 1
    }
    let decimals = value < 10 ? 2 : value < 100 ? 1 : 0
    return "\(fixed(value, decimals: decimals)) \(names[index])"
  }

  /// `61,622,500`: digits in groups of three.
  public static func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var text = ""
    for (index, digit) in digits.enumerated() {
      if index > 0, (digits.count - index) % 3 == 0 { text += "," }
      text.append(digit)
    }
    return value < 0 ? "-" + text : text
  }

  /// `value` with exactly `decimals` digits after the point, without Foundation.
  static func fixed(_ value: Double, decimals: Int) -> String {
    var scale = 1
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (value * Double(scale)).rounded()
    guard scaled < 0x1p62 else { return "\(value)" }
    let whole = Int(scaled) / scale
    let fraction = Int(scaled) % scale
    guard decimals > 0 else { return "\(whole)" }
    let digits = String(fraction)
    return "\(whole)." + String(repeating: "0", count: decimals - digits.count) + digits
  }
}

extension StringProtocol {
  /// The text without leading and trailing spaces and tabs.
  fileprivate func trimmingSpaces() -> String {
    let isSpace = { (c: Character) in c == " " || c == "\t" }
    guard let first = firstIndex(where: { !isSpace($0) }),
      let last = lastIndex(where: { !isSpace($0) })
    else { return "" }
    return String(self[first...last])
  }
}
