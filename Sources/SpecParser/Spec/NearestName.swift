/// Finds the allowed name a misspelt one was probably meant to be, for
/// "did you mean …?" hints.
public enum NearestName {
  /// The candidate closest to `word` by edit distance, ignoring case, when it
  /// is close enough to be a typo: one edit for words up to three letters, two
  /// up to eight, three beyond. Ties go to the earlier candidate.
  public static func suggestion(for word: String, among candidates: [String]) -> String? {
    let folded = Array(word.lowercased().unicodeScalars)
    let limit = folded.count <= 3 ? 1 : folded.count <= 8 ? 2 : 3
    var best: (name: String, distance: Int)?
    for candidate in candidates {
      let distance = editDistance(folded, Array(candidate.lowercased().unicodeScalars))
      if distance <= limit, distance < best?.distance ?? .max {
        best = (candidate, distance)
      }
    }
    return best?.name
  }

  /// Levenshtein distance: the fewest insertions, deletions and substitutions
  /// that turn `a` into `b`, computed one row of the table at a time.
  public static func editDistance<Element: Equatable>(_ a: [Element], _ b: [Element]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    // previous[j] is the distance between a[..<i-1] and b[..<j].
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
        current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
      }
      swap(&previous, &current)
    }
    return previous[b.count]
  }
}
