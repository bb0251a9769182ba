import SpecParser

/// A command line split into positionals and options, checked against what a
/// subcommand accepts. Options take `--name value` or `--name=value`; flags
/// take nothing; `--` ends option parsing.
struct Arguments {
  var positionals: [String] = []
  var values: [String: [String]] = [:]
  var flags: Set<String> = []

  /// What one subcommand accepts.
  struct Shape {
    /// Options that take a value, without the leading dashes.
    var options: [String] = []
    /// Options that stand alone.
    var flags: [String] = []
    /// Options that may be given more than once.
    var repeatable: [String] = []
  }

  init(_ words: some Sequence<String>, shape: Shape) throws(UsageError) {
    var words = Array(words)[...]
    var optionsEnded = false
    while let word = words.popFirst() {
      guard !optionsEnded, word.hasPrefix("-"), word != "-" else {
        positionals.append(word)
        continue
      }
      if word == "--" {
        optionsEnded = true
        continue
      }
      guard word.hasPrefix("--") else {
        throw UsageError("unknown option '\(word)'; options are spelled --name")
      }
      var name = String(word.dropFirst(2))
      var value: String?
      if let equals = name.firstIndex(of: "=") {
        value = String(name[name.index(after: equals)...])
        name = String(name[..<equals])
      }
      if shape.flags.contains(name) {
        if value != nil { throw UsageError("--\(name) takes no value") }
        flags.insert(name)
      } else if shape.options.contains(name) {
        // A following option is not this option's value: `--output --quiet`
        // would otherwise train into a folder called `--quiet`.
        if value == nil, let next = words.first, !next.hasPrefix("--") {
          value = words.popFirst()
        }
        guard let value else { throw UsageError("--\(name) needs a value") }
        if values[name] != nil, !shape.repeatable.contains(name) {
          throw UsageError("--\(name) is given more than once")
        }
        values[name, default: []].append(value)
      } else {
        let known = (shape.options + shape.flags).map { "--" + $0 }
        var message = "unknown option '--\(name)'"
        if let near = NearestName.suggestion(for: "--" + name, among: known) {
          message += "; did you mean '\(near)'?"
        }
        throw UsageError(message)
      }
    }
  }

  func value(_ name: String) -> String? { values[name]?.last }

  func integer(_ name: String, atLeast minimum: Int) throws(UsageError) -> Int? {
    guard let text = value(name) else { return nil }
    guard let number = Int(text), number >= minimum else {
      throw UsageError("--\(name) needs a whole number ≥ \(minimum), not '\(text)'")
    }
    return number
  }
}

/// A mistake in how nnc was called: exit code 2, with the usage line.
struct UsageError: Error {
  var message: String
  init(_ message: String) { self.message = message }
}
