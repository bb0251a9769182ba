/// One node of a YAML document as written, with where it starts.
///
/// The tree is what `YAMLReader` builds from libyaml's events: scalars keep
/// their text and how they were quoted, mappings keep their keys in the order
/// written, and aliases are already replaced by the node they name.
public struct YAMLNode: Sendable, Equatable {
  /// How a scalar was written; a quoted or block scalar is always a string.
  public enum ScalarStyle: String, Sendable, Equatable {
    case plain
    case singleQuoted
    case doubleQuoted
    case literal
    case folded
  }

  /// One `key: value` entry of a mapping.
  public struct Pair: Sendable, Equatable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
      self.key = key
      self.value = value
    }
  }

  public indirect enum Kind: Sendable, Equatable {
    /// The scalar's text, its style and its explicit tag (`nil` when none was written).
    case scalar(String, style: ScalarStyle, tag: String?)
    case sequence([YAMLNode])
    /// Entries in the order they were written; keys are unique.
    case mapping([Pair])
  }

  /// Where the node starts (for an alias: where the alias is written).
  public var location: SourceLocation
  public var kind: Kind

  public init(location: SourceLocation, kind: Kind) {
    self.location = location
    self.kind = kind
  }

  /// The text of a scalar node, `nil` for collections.
  public var scalarText: String? {
    if case .scalar(let text, _, _) = kind { return text }
    return nil
  }

  /// True for a plain, untagged scalar: the only kind YAML resolves to null,
  /// booleans and numbers.
  public var isPlainScalar: Bool {
    if case .scalar(_, .plain, nil) = kind { return true }
    return false
  }
}
