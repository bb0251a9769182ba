import CYAML

/// Reads one YAML document into a located `YAMLNode` tree with libyaml's event
/// parser (`yaml_parser_parse`), not its document loader, so that every node
/// keeps its position and alias expansion stays under our control.
///
/// The reader is the first thing untrusted text meets, so it never traps:
/// malformed input, libyaml errors and resource limits all become diagnostics.
/// Rejected with a diagnostic:
/// - text that is not UTF-8, YAML syntax errors (reworded, with a hint),
/// - no document, an empty document, or more than one document,
/// - duplicate keys in a mapping (every one is reported, with the first position),
/// - merge keys (`<<`), which nnc does not support,
/// - undefined or self-referring aliases,
/// - alias expansion beyond `aliasNodeLimit` nodes, nesting beyond `depthLimit`.
///
/// An alias is replaced by the node its anchor names; the copy's top node is
/// located at the alias, its children where the anchored node wrote them.
public enum YAMLReader {
  /// The most nodes alias expansion may add to one document.
  public static let aliasNodeLimit = 100_000
  /// The deepest nesting of sequences and mappings accepted.
  public static let depthLimit = 256

  /// Reads YAML text; `file` names it in diagnostics.
  public static func read(_ text: String, file: String) throws(SpecErrors) -> YAMLNode {
    try read(bytes: Array(text.utf8), file: file)
  }

  /// Reads YAML bytes, which must be UTF-8; `file` names them in diagnostics.
  public static func read(bytes: [UInt8], file: String) throws(SpecErrors) -> YAMLNode {
    let (root, diagnostics) = readCollecting(bytes: bytes, file: file)
    guard diagnostics.isEmpty, let root else { throw SpecErrors(diagnostics) }
    return root
  }

  /// Reads YAML bytes as `read(bytes:file:)` does, but returns what it found
  /// instead of throwing, for checkers that report every problem at once: a
  /// duplicate or merge key is left out of the tree and an undefined alias
  /// reads as null, so those errors come back beside a tree; a syntax error
  /// or a limit leaves none.
  public static func readCollecting(
    bytes: [UInt8], file: String
  ) -> (root: YAMLNode?, diagnostics: [Diagnostic]) {
    let source = SourceText(bytes: bytes)
    if let offset = source.firstInvalidUTF8Offset() {
      let (line, column) = source.lineAndColumn(ofByte: offset)
      let hex = String(bytes[offset], radix: 16, uppercase: true)
      let byte = String(repeating: "0", count: 2 - hex.count) + hex
      return (
        nil,
        [
          Diagnostic(
            at: SourceLocation(file: file, line: line + 1, column: column + 1), keyPath: "",
            "the file is not valid UTF-8 (byte 0x\(byte))",
            hint: "save the spec as UTF-8 text")
        ]
      )
    }

    var builder = TreeBuilder(file: file, source: source)
    builder.run()
    if builder.diagnostics.isEmpty, builder.root == nil {
      // The event stream ended without a root and without a reported reason.
      builder.report("the YAML stream ended early", at: builder.location(line: 0, column: 0))
    }
    return (builder.root, builder.diagnostics)
  }
}

// MARK: - Building the tree from events

/// Turns libyaml events into nodes with an explicit stack of open collections,
/// so nesting depth costs heap, not call stack.
private struct TreeBuilder {
  /// A sequence or mapping whose end event has not arrived yet.
  struct Frame {
    var location: SourceLocation
    var anchor: String?
    var isMapping: Bool
    var items: [YAMLNode] = []
    var pairs: [YAMLNode.Pair] = []
    /// Mapping: the key read whose value comes next.
    var pendingKey: YAMLNode?
    /// Mapping: the pending key was rejected, so its entry is dropped.
    var dropsPendingEntry = false
    /// Mapping: where each scalar key was first written.
    var firstKeyLocations: [String: SourceLocation] = [:]
    /// Nodes in this collection so far, itself and expanded aliases included.
    var size = 1
    /// Nesting levels below and including this collection.
    var height = 1
  }

  /// A completed anchored node with what an alias to it costs.
  struct Anchored {
    var node: YAMLNode
    var size: Int
    var height: Int
  }

  let file: String
  let source: SourceText
  var diagnostics: [Diagnostic] = []
  var root: YAMLNode?
  private var stack: [Frame] = []
  private var anchors: [String: Anchored] = [:]
  /// Anchors on collections still open: an alias to one would contain itself.
  private var openAnchors: Set<String> = []
  private var aliasNodes = 0
  private var documents = 0
  private var finished = false

  init(file: String, source: SourceText) {
    self.file = file
    self.source = source
  }

  /// Parses the whole input, releasing every libyaml object on every path.
  mutating func run() {
    let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    defer { parser.deallocate() }
    guard yaml_parser_initialize(parser) != 0 else {
      report("libyaml could not allocate a parser", at: location(line: 0, column: 0))
      return
    }
    defer { yaml_parser_delete(parser) }

    // A trailing NUL that libyaml is not told about gives the buffer a real
    // address even for empty input (libyaml asserts a non-null pointer).
    var input = source.bytes
    input.append(0)
    input.withUnsafeBufferPointer { buffer in
      yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
      yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count - 1)
      var event = yaml_event_t()
      while !finished {
        guard yaml_parser_parse(parser, &event) != 0 else {
          yaml_event_delete(&event)
          reportSyntaxError(parser.pointee)
          return
        }
        handle(event)
        yaml_event_delete(&event)
      }
    }
  }

  // MARK: Events

  private mutating func handle(_ event: yaml_event_t) {
    let start = location(event.start_mark)
    switch event.type {
    case YAML_DOCUMENT_START_EVENT:
      documents += 1
      if documents > 1 {
        fail(
          "a spec file holds one YAML document, but a second one starts here", at: start,
          hint: "remove this '---' and what follows, or move it to its own file")
      }

    case YAML_STREAM_END_EVENT:
      finished = true
      if documents == 0 {
        report(
          "empty document: the file holds no YAML content", at: location(line: 0, column: 0),
          hint: "a spec is a mapping with data, model, loss, optimizer and training")
      }

    case YAML_SCALAR_EVENT:
      let scalar = event.data.scalar
      let text =
        scalar.value.map {
          String(decoding: UnsafeBufferPointer(start: $0, count: scalar.length), as: UTF8.self)
        } ?? ""
      let kind = YAMLNode.Kind.scalar(
        text, style: Self.style(of: scalar.style), tag: Self.string(scalar.tag))
      add(YAMLNode(location: start, kind: kind), size: 1, height: 0)
      if let anchor = Self.string(scalar.anchor) {
        anchors[anchor] = Anchored(node: YAMLNode(location: start, kind: kind), size: 1, height: 0)
      }

    case YAML_ALIAS_EVENT:
      alias(Self.string(event.data.alias.anchor) ?? "", at: start)

    case YAML_SEQUENCE_START_EVENT:
      open(isMapping: false, at: start, anchor: Self.string(event.data.sequence_start.anchor))

    case YAML_MAPPING_START_EVENT:
      open(isMapping: true, at: start, anchor: Self.string(event.data.mapping_start.anchor))

    case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
      close()

    default:
      // Stream start and document end carry nothing the tree needs.
      break
    }
  }

  private mutating func open(isMapping: Bool, at start: SourceLocation, anchor: String?) {
    guard stack.count < YAMLReader.depthLimit else {
      fail(
        "nesting is deeper than \(YAMLReader.depthLimit) levels", at: start,
        keyPath: currentPath(), hint: "a spec needs only a few levels of nesting")
      return
    }
    if let anchor { openAnchors.insert(anchor) }
    stack.append(Frame(location: start, anchor: anchor, isMapping: isMapping))
  }

  private mutating func close() {
    guard let frame = stack.popLast() else { return }
    let node = YAMLNode(
      location: frame.location,
      kind: frame.isMapping ? .mapping(frame.pairs) : .sequence(frame.items))
    if let anchor = frame.anchor {
      openAnchors.remove(anchor)
      anchors[anchor] = Anchored(node: node, size: frame.size, height: frame.height)
    }
    add(node, size: frame.size, height: frame.height)
  }

  private mutating func alias(_ name: String, at start: SourceLocation) {
    guard let anchored = anchors[name] else {
      if openAnchors.contains(name) {
        report(
          "alias '*\(name)' refers to a node that contains it", at: start,
          keyPath: currentPath(), hint: "recursive YAML structures are not supported")
      } else {
        report(
          "undefined alias '*\(name)'", at: start, keyPath: currentPath(),
          hint: "define the anchor with '&\(name)' before the alias uses it")
      }
      // A null stands in so the rest of the document can still be checked.
      let null = YAMLNode(location: start, kind: .scalar("", style: .plain, tag: nil))
      add(null, size: 1, height: 0)
      return
    }

    aliasNodes += anchored.size
    guard aliasNodes <= YAMLReader.aliasNodeLimit else {
      fail(
        "alias expansion exceeds \(YAMLReader.aliasNodeLimit) nodes — possible alias bomb",
        at: start, keyPath: currentPath(), hint: "use fewer aliases or smaller anchored nodes")
      return
    }
    guard stack.count + anchored.height <= YAMLReader.depthLimit else {
      fail(
        "alias '*\(name)' nests deeper than \(YAMLReader.depthLimit) levels", at: start,
        keyPath: currentPath())
      return
    }
    var node = anchored.node
    node.location = start
    add(node, size: anchored.size, height: anchored.height)
  }

  /// Hands a completed node to the open collection, or makes it the root.
  private mutating func add(_ node: YAMLNode, size: Int, height: Int) {
    guard !stack.isEmpty else {
      if case .scalar("", .plain, nil) = node.kind {
        report(
          "empty document: the document has no content", at: node.location,
          hint: "a spec is a mapping with data, model, loss, optimizer and training")
      }
      root = node
      return
    }

    let top = stack.count - 1
    stack[top].size += size
    stack[top].height = max(stack[top].height, height + 1)
    guard stack[top].isMapping else {
      stack[top].items.append(node)
      return
    }
    guard let key = stack[top].pendingKey else {
      acceptKey(node)
      return
    }
    if !stack[top].dropsPendingEntry {
      stack[top].pairs.append(YAMLNode.Pair(key: key, value: node))
    }
    stack[top].pendingKey = nil
    stack[top].dropsPendingEntry = false
  }

  /// Checks a new key of the innermost mapping for merges and duplicates.
  private mutating func acceptKey(_ key: YAMLNode) {
    let top = stack.count - 1
    stack[top].pendingKey = key
    guard case .scalar(let text, let style, let tag) = key.kind else { return }
    let path = join(containerPath(), text)
    if text == "<<", style == .plain, tag == nil {
      report(
        "merge keys ('<<') are not supported", at: key.location, keyPath: path,
        hint: "write the keys out, or use an alias for the whole value")
      stack[top].dropsPendingEntry = true
    } else if let first = stack[top].firstKeyLocations[text] {
      report(
        "duplicate key '\(text)' (first at \(first.line):\(first.column))", at: key.location,
        keyPath: path, hint: "each key may appear once in a mapping; remove one of them")
      stack[top].dropsPendingEntry = true
    } else {
      stack[top].firstKeyLocations[text] = key.location
    }
  }

  // MARK: Key paths

  /// The key path of the node being read now, as far as the open collections tell.
  private func currentPath() -> String {
    var path = containerPath()
    if let top = stack.last { path = append(child: top, to: path) }
    return path
  }

  /// The key path of the innermost open collection.
  private func containerPath() -> String {
    var path = ""
    for frame in stack.dropLast() { path = append(child: frame, to: path) }
    return path
  }

  /// `path` extended by the child `frame` is reading now.
  private func append(child frame: Frame, to path: String) -> String {
    guard frame.isMapping else { return path + "[\(frame.items.count)]" }
    guard let key = frame.pendingKey?.scalarText else { return path }
    return join(path, key)
  }

  private func join(_ path: String, _ key: String) -> String {
    path.isEmpty ? key : path + "." + key
  }

  // MARK: Diagnostics

  mutating func report(
    _ message: String, at location: SourceLocation, keyPath: String = "", hint: String? = nil
  ) {
    diagnostics.append(Diagnostic(at: location, keyPath: keyPath, message, hint: hint))
  }

  /// Reports a problem that ends reading: nothing after it can be trusted or afforded.
  private mutating func fail(
    _ message: String, at location: SourceLocation, keyPath: String = "", hint: String? = nil
  ) {
    report(message, at: location, keyPath: keyPath, hint: hint)
    finished = true
  }

  func location(line: Int, column: Int) -> SourceLocation {
    SourceLocation(file: file, line: line + 1, column: column + 1)
  }

  private func location(_ mark: yaml_mark_t) -> SourceLocation {
    location(line: Int(clamping: mark.line), column: Int(clamping: mark.column))
  }

  /// Turns libyaml's error state into one diagnostic with a friendlier wording.
  private mutating func reportSyntaxError(_ parser: yaml_parser_t) {
    let problem = Self.string(parser.problem) ?? "unknown error"
    switch parser.error {
    case YAML_MEMORY_ERROR:
      report("libyaml ran out of memory while reading", at: location(line: 0, column: 0))

    case YAML_READER_ERROR:
      let (line, column) = source.lineAndColumn(ofByte: Int(clamping: parser.problem_offset))
      var message = "the file cannot be read as YAML: \(problem)"
      if problem == "control characters are not allowed", parser.problem_value >= 0 {
        let code = String(parser.problem_value, radix: 16, uppercase: true)
        message =
          "control character U+\(String(repeating: "0", count: max(0, 4 - code.count)))"
          + "\(code) is not allowed in YAML"
      }
      report(
        message, at: location(line: line, column: column),
        hint: "remove the character, or write it as an escape inside double quotes")

    default:
      let mark = parser.problem_mark
      let at = location(mark)
      var context: String?
      if var text = Self.string(parser.context) {
        // libyaml says "while parsing a flow sequence"; say where that began.
        for prefix in ["while parsing a ", "while scanning a ", "while parsing an "]
        where text.hasPrefix(prefix) {
          text = String(text.dropFirst(prefix.count))
        }
        let started = location(parser.context_mark)
        context = "the \(text) starts at \(started.line):\(started.column)"
      }
      let (message, hint) = reworded(
        problem, context: context, line: Int(clamping: mark.line),
        column: Int(clamping: mark.column))
      report(message, at: at, hint: hint)
    }
  }

  /// A libyaml scanner or parser problem said in terms of what to change.
  private func reworded(
    _ problem: String, context: String?, line: Int, column: Int
  ) -> (message: String, hint: String?) {
    let (before, character) = source.prefix(line: line, column: column)
    let contextHint = context

    if character == "\t" || problem.contains("tab") {
      if before.allSatisfy({ $0 == " " || $0 == "\t" }) {
        return (
          "tabs are not allowed for indentation in YAML; use spaces",
          "replace the tab characters at the start of this line with spaces"
        )
      }
      return ("a tab character is not allowed here; use spaces", contextHint)
    }

    switch problem {
    case "found character that cannot start any token":
      let shown = character.map { "'\($0)'" } ?? "this character"
      return (
        "\(shown) cannot start a YAML value or key here",
        "put values that start with \(shown) in quotes"
      )
    case "mapping values are not allowed in this context":
      return (
        "unexpected ':' — a mapping cannot start here",
        "check this line's indentation, or quote a value that contains ': '"
      )
    case "did not find expected key":
      return (
        "expected a key here, at the indentation of the lines above",
        "check this line's indentation; a new key needs 'name: value'"
      )
    case "did not find expected '-' indicator":
      return (
        "expected a '-' item of the sequence here",
        "check this line's indentation against the '-' items above"
      )
    case "could not find expected ':'":
      return (
        "expected ':' after a key", contextHint ?? "a key and its value are written 'key: value'"
      )
    case "block sequence entries are not allowed in this context":
      return (
        "a '-' item is not allowed here",
        "start the sequence on its own line, indented under its key"
      )
    case "found unexpected end of stream":
      return ("the file ends in the middle of a value", contextHint ?? "close the open quote")
    case "did not find expected ',' or ']'":
      return ("expected ',' or ']' in a [ ] sequence", contextHint ?? "close the '[' with ']'")
    case "did not find expected ',' or '}'":
      return ("expected ',' or '}' in a { } mapping", contextHint ?? "close the '{' with '}'")
    case "found undefined tag handle":
      return ("undefined tag handle", "nnc specs need no tags; remove it")
    default:
      return ("YAML syntax error: \(problem)", contextHint)
    }
  }

  // MARK: libyaml values

  private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
    pointer.map { String(cString: UnsafePointer($0)) }
  }

  private static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
    pointer.map { String(cString: $0) }
  }

  private static func style(of style: yaml_scalar_style_t) -> YAMLNode.ScalarStyle {
    switch style {
    case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
    case YAML_LITERAL_SCALAR_STYLE: .literal
    case YAML_FOLDED_SCALAR_STYLE: .folded
    default: .plain
    }
  }
}
