/// One `--set key.path=value` from the command line: a spec value replaced
/// (or added) in the YAML tree before decoding, so it is checked exactly as if
/// it had been written in the file.
///
/// The key path names mapping keys with dots and sequence items with
/// 0-based indices, as diagnostics print them: `optimizer.learning_rate`,
/// `model.layers[1].units`. The value is YAML: a plain scalar (`0.1`, `relu`,
/// `true`, `~` to unset an optional key) or a flow collection
/// (`{kind: step, every: 5, factor: 0.5}`). Keys missing along the path are
/// added; an index must name an existing item. Relative data paths are
/// resolved against the spec file's folder, as in the file.
///
/// Diagnostics about an override point into it as `--set:1:COLUMN`, the column
/// counted in the `key.path=value` argument.
public struct SpecOverride: Sendable, Equatable, CustomStringConvertible {
  /// The key path as written, e.g. `model.layers[1].units`.
  public let keyPath: String
  /// The YAML text after the first `=`.
  public let value: String
  fileprivate let components: [Component]

  /// The argument as given: `key.path=value`.
  public var description: String { "\(keyPath)=\(value)" }

  /// The file name override diagnostics carry.
  public static let file = "--set"

  fileprivate enum Component: Equatable {
    /// A mapping key, with its 1-based column in the argument.
    case key(String, column: Int)
    /// A sequence index, with its 1-based column in the argument.
    case index(Int, column: Int)
  }

  /// Parses `key.path=value`.
  /// - Throws: `SpecErrors` when there is no `=` or the key path is malformed.
  public init(parsing argument: String) throws(SpecErrors) {
    guard let equals = argument.firstIndex(of: "=") else {
      throw SpecErrors([
        Self.diagnostic(
          "expected key.path=value, found \"\(argument)\"", column: 1, keyPath: "",
          hint: "for example --set optimizer.learning_rate=0.01")
      ])
    }
    keyPath = String(argument[..<equals])
    value = String(argument[argument.index(after: equals)...])
    components = try Self.components(of: keyPath)
  }

  /// Splits `name.name[2].name` into its components, each with its column.
  private static func components(of path: String) throws(SpecErrors) -> [Component] {
    func fail(_ message: String, at column: Int) -> SpecErrors {
      SpecErrors([
        diagnostic(
          message, column: column, keyPath: path,
          hint: "write the key path as diagnostics print it, e.g. model.layers[0].units")
      ])
    }
    let characters = Array(path)
    var index = 0
    func name() throws(SpecErrors) -> Component {
      let start = index
      while index < characters.count,
        characters[index].isLetter || characters[index].isNumber
          || characters[index] == "_" || characters[index] == "-"
      {
        index += 1
      }
      guard index > start else {
        throw fail(
          characters.isEmpty ? "the key path is empty" : "expected a key name in the key path",
          at: start + 1)
      }
      return .key(String(characters[start..<index]), column: start + 1)
    }

    var components = [try name()]
    while index < characters.count {
      let column = index + 1
      switch characters[index] {
      case ".":
        index += 1
        components.append(try name())
      case "[":
        let start = index + 1
        var end = start
        while end < characters.count, characters[end].isASCII, characters[end].isNumber {
          end += 1
        }
        guard end > start, end < characters.count, characters[end] == "]",
          let item = Int(String(characters[start..<end]))
        else { throw fail("expected an index such as [0] in the key path", at: column) }
        components.append(.index(item, column: column))
        index = end + 1
      default:
        throw fail("expected '.' or '[' in the key path", at: column)
      }
    }
    return components
  }

  private static func diagnostic(
    _ message: String, column: Int, keyPath: String, hint: String? = nil
  ) -> Diagnostic {
    Diagnostic(
      at: SourceLocation(file: file, line: 1, column: column), keyPath: keyPath, message,
      hint: hint)
  }

  // MARK: - Applying

  /// `root` with every override applied in order (a later one wins).
  /// A root that is not a mapping is returned as it is: the decoder reports it.
  public static func apply(
    _ overrides: [SpecOverride], to root: YAMLNode
  ) throws(SpecErrors) -> YAMLNode {
    guard case .mapping = root.kind else { return root }
    var tree = root
    var problems: [Diagnostic] = []
    for override in overrides {
      do {
        let value = try override.valueNode()
        tree = try override.setting(value, at: override.components[...], in: tree, path: "")
      } catch {
        problems += error.diagnostics
      }
    }
    guard problems.isEmpty else { throw SpecErrors(problems) }
    return tree
  }

  /// The value as a YAML node located in the argument; nothing is a null.
  private func valueNode() throws(SpecErrors) -> YAMLNode {
    // Columns inside the value, counted from 1, shift past "key.path=".
    let shift = keyPath.count + 1
    let isOneLine = !value.contains(where: \.isNewline)
    func shifted(_ location: SourceLocation) -> SourceLocation {
      if location.line > 1, isOneLine {
        // libyaml places "unexpected end" on the line after the text.
        return SourceLocation(file: Self.file, line: 1, column: shift + value.count + 1)
      }
      return SourceLocation(
        file: Self.file, line: location.line,
        column: location.line == 1 ? location.column + shift : location.column)
    }
    if value.allSatisfy({ $0 == " " }) {
      return YAMLNode(
        location: SourceLocation(file: Self.file, line: 1, column: shift + 1),
        kind: .scalar("", style: .plain, tag: nil))
    }
    do {
      return Self.relocated(try YAMLReader.read(value, file: Self.file), by: shifted)
    } catch {
      throw SpecErrors(
        error.diagnostics.map {
          var diagnostic = $0
          diagnostic.location = shifted($0.location)
          diagnostic.keyPath = keyPath
          return diagnostic
        })
    }
  }

  private static func relocated(
    _ node: YAMLNode, by move: (SourceLocation) -> SourceLocation
  ) -> YAMLNode {
    var node = node
    node.location = move(node.location)
    switch node.kind {
    case .scalar: break
    case .sequence(let items):
      node.kind = .sequence(items.map { relocated($0, by: move) })
    case .mapping(let pairs):
      node.kind = .mapping(
        pairs.map {
          YAMLNode.Pair(key: relocated($0.key, by: move), value: relocated($0.value, by: move))
        })
    }
    return node
  }

  /// `node` with the value at `components` replaced by `value`.
  private func setting(
    _ value: YAMLNode, at components: ArraySlice<Component>, in node: YAMLNode, path: String
  ) throws(SpecErrors) -> YAMLNode {
    guard let first = components.first else { return value }
    let rest = components.dropFirst()
    switch first {
    case .key(let key, let column):
      let childPath = path.isEmpty ? key : "\(path).\(key)"
      var pairs: [YAMLNode.Pair]
      switch node.kind {
      case .mapping(let existing): pairs = existing
      case .scalar("", .plain, nil), .scalar("~", .plain, nil), .scalar("null", .plain, nil):
        // An optional section written with no value: filled in from here.
        pairs = []
      default:
        throw SpecErrors([
          Self.diagnostic(
            "cannot set '\(keyPath)': '\(path)' is \(Self.phrase(node)), not a mapping",
            column: column, keyPath: path)
        ])
      }
      if let found = pairs.firstIndex(where: { $0.key.scalarText == key }) {
        pairs[found].value = try setting(
          value, at: rest, in: pairs[found].value, path: childPath)
      } else {
        if case .index = rest.first {
          throw SpecErrors([
            Self.diagnostic(
              "cannot set '\(keyPath)': '\(childPath)' is not in the spec, so it has no items",
              column: column, keyPath: childPath)
          ])
        }
        let location = SourceLocation(file: Self.file, line: 1, column: column)
        let empty = YAMLNode(location: location, kind: .mapping([]))
        pairs.append(
          YAMLNode.Pair(
            key: YAMLNode(location: location, kind: .scalar(key, style: .plain, tag: nil)),
            value: try setting(value, at: rest, in: empty, path: childPath)))
      }
      var updated = node
      updated.kind = .mapping(pairs)
      return updated

    case .index(let index, let column):
      let childPath = "\(path)[\(index)]"
      guard case .sequence(var items) = node.kind else {
        throw SpecErrors([
          Self.diagnostic(
            "cannot set '\(keyPath)': '\(path)' is \(Self.phrase(node)), not a sequence",
            column: column, keyPath: path)
        ])
      }
      guard index < items.count else {
        throw SpecErrors([
          Self.diagnostic(
            "cannot set '\(keyPath)': '\(path)' has \(items.count) item"
              + "\(items.count == 1 ? "" : "s"), so [\(index)] is out of range",
            column: column, keyPath: path, hint: "indices count from 0")
        ])
      }
      items[index] = try setting(value, at: rest, in: items[index], path: childPath)
      var updated = node
      updated.kind = .sequence(items)
      return updated
    }
  }

  private static func phrase(_ node: YAMLNode) -> String {
    switch node.kind {
    case .scalar(let text, _, _): "the scalar \(ScalarValue.quote(text))"
    case .sequence: "a sequence"
    case .mapping: "a mapping"
    }
  }
}
