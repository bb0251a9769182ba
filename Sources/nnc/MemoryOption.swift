import Foundation
import Planner

extension MemoryBudget {
  /// How `--max-memory` is described in help texts.
  static let optionHelp = """
      --max-memory SIZE  refuse a plan whose training run would hold more than
                         SIZE bytes: 1000000, 512MiB, 2GiB, 1.5GB (default: the
                         machine's available memory, MemAvailable)
    """

  /// The budget a command plans with: `--max-memory` when given, otherwise
  /// the memory this machine has available now, otherwise no limit.
  static func from(_ arguments: Arguments) throws(UsageError) -> MemoryBudget {
    guard let text = arguments.value("max-memory") else { return machine() }
    guard let bytes = byteCount(parsing: text) else {
      throw UsageError(
        "--max-memory needs a size such as 1000000, 512MiB or 2GiB, not '\(text)'")
    }
    return MemoryBudget(bytes: bytes, source: "set by --max-memory")
  }

  /// `MemAvailable` from `/proc/meminfo`: what the kernel can hand out
  /// without swapping. No limit where the file does not exist (not Linux).
  static func machine() -> MemoryBudget {
    guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
      let bytes = availableBytes(meminfo: text)
    else { return .unlimited }
    return MemoryBudget(bytes: bytes, source: "the machine's available memory")
  }
}
