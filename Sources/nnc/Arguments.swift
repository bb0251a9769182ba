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
        if value == nil { value = words.popFirst() }
        guard let value else { throw UsageError("--\(name) needs a value") }
        if values[name] != nil, !shape.repeatable.contains(name) {
          throw UsageError("--\(name) is given more than once")
        }
        values[name, default: []].append(value)
      } else {
        let known = (shape.options + shape.flags).map { "--" + $0 }
        var message = "unknown option '--\(name)'"
        if let near = closest(to: "--" + name, among: known) { message += "; did you mean '\(near)'?" }
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

/// The candidate within a small edit distance of `word`, if one is clearly closest.
func closest(to word: String, among candidates: [String]) -> String? {
  let scored = candidates.map { ($0, editDistance(word, $0)) }.sorted { $0.1 < $1.1 }
  guard let best = scored.first, best.1 <= max(2, word.count / 3) else { return nil }
  return best.0
}

/// Levenshtein distance over characters.
func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a)
  let b = Array(b)
  guard !a.isEmpty else { return b.count }
  guard !b.isEmpty else { return a.count }
  var previous = Array(0...b.count)
  var current = previous
  for i in 1...a.count {
    current[0] = i
    for j in 1...b.count {
      let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
      current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
    }
    swap(&previous, &current)
  }
  return previous[b.count]
}
