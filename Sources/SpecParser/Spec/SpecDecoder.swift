/// Decodes a spec's YAML tree into a `Spec`, collecting every problem it finds.
///
/// The spec format, with each key's type, default and allowed values:
///
/// ```yaml
/// name: fashion-mnist-mlp          # string; default: the spec file name without extension
/// seed: 7                          # integer ≥ 0, optional
///                                  #   (warning when absent: "no seed: runs use seed 0")
/// precision: float32               # float32 | float64, default float32
/// threads: 2                       # integer ≥ 1, optional
/// data:                            # required
///   train: {images: PATH, labels: PATH}   # IDX files; or {csv: PATH}; required
///   test:  {images: PATH, labels: PATH}   # optional, same kind as train
///                                         #   (warning when absent: "no test data")
///   label: species                 # CSV only: class label column (string)
///   targets: [y]                   # CSV only: regression target column(s);
///                                  #   a single string is accepted too
///   features: [a, b]               # CSV only: feature columns, default all others
///   scale: 0.00392156862745098     # number > 0, optional
///   standardize: false             # bool, default false
///   validation: 0.1                # number in (0, 1), optional
///   missing: error                 # CSV: error | drop, default error (rows with an
///                                  #   empty, NA, N/A, NaN or null value in a read column)
/// model:                           # required
///   layers:                        # required non-empty sequence
///     - {units: 256, activation: relu, bias: true}
///       # units int ≥ 1 required;
///       # activation one of identity|sigmoid|tanh|relu|softmax required;
///       # bias bool default true
/// loss: nll                        # nll | quadratic, required
/// regularization: {l2: 1.0e-4}     # l2 number ≥ 0, default 0; the mapping itself optional
/// optimizer:                       # required
///   kind: sgd                      # sgd | adam | newton, required
///   learning_rate: 0.05            # number > 0; required for sgd and adam; newton default 1.0
///   momentum: 0.9                  # number in [0, 1), default 0 (sgd only)
///   nesterov: false                # bool, default false; true needs momentum > 0
///   beta1: 0.9                     # adam: [0, 1); beta2: [0, 1) default 0.999;
///                                  #   epsilon > 0 default 1e-8
///   batch_size: 128                # integer ≥ 1, or the string full; default full
///   schedule: {kind: inverse, gamma: 0.25, power: 1}   # optional, default constant
///     # constant; inverse: gamma ≥ 0 required, power > 0 default 1;
///     # step: every int ≥ 1 and factor in (0, 1] both required;
///     # exponential: gamma in (0, 1] required
/// training:                        # required
///   epochs: 20                     # integer ≥ 1, required (for newton: iteration limit)
///   tolerance: 1.0e-6              # number > 0, optional: stop when max-norm of the
///                                  #   weight change < tolerance
///   loss_tolerance: 1.0e-9         # number > 0, optional
///   patience: 5                    # integer ≥ 1, optional; needs data.validation
///   checkpoint: 5                  # integer ≥ 1, optional: save the training state
///                                  #   every N epochs (for nnc run --resume)
/// ```
///
/// How values are read:
/// - Unknown keys are errors, with "did you mean …?" when an allowed key is a
///   near miss; an unknown enum value lists the allowed ones the same way.
/// - Numbers are plain decimal scalars: `5`, `-2`, `0.1`, `1e-3`, `1.0e-4` (an
///   exponent needs no dot). `.inf`, `.nan` and numbers beyond Double are
///   rejected everywhere. An integer key rejects a fraction such as `2.5`
///   (`1e3` and `5.0` are whole, so they are accepted).
/// - A quoted or block scalar is always a string, so `"0.1"` is not a number.
/// - A string key takes any scalar as text: a column called `no`, `yes`, `on`,
///   `off`, `null` or `5` stays that text. Only `~` or nothing means no value.
/// - Booleans are exactly `true` and `false`; `yes`/`no`/`on`/`off` are errors
///   with the hint "write true or false".
/// - A required key that is absent is reported at its parent mapping; one whose
///   value is `~`, `null` or nothing is a "missing value" at the value. An
///   optional key with such a value is treated as not written.
/// - The spec's internal consistency is checked (CSV-only keys with IDX data,
///   train and test of different kinds, `label` with `targets`, optimizer keys
///   that do not apply to the chosen kind, `patience` without `validation`),
///   and so are the combinations the spec alone decides (`checkCombinations`:
///   the output layer against the loss, softmax only on the output, Newton
///   only on convex one-layer models, a schedule that keeps the step size
///   above zero); the data files themselves are not opened.
/// - Data paths are stored resolved: an absolute path as written, a relative one
///   joined to the spec file's folder and standardized lexically (`.` and `..`
///   removed, symbolic links not followed).
/// - Warnings (no seed, no test data, a learning rate above 10) do not stop
///   decoding; they are returned beside the spec.
///
/// Every value the decoder reads has its position recorded in `Spec.locations`
/// under its key path (`model.layers[1].units`; `""` is the document root).
struct SpecDecoder {
  /// The spec file's path as the user gave it.
  let file: String
  var diagnostics: [Diagnostic] = []
  var locations: [String: SourceLocation] = [:]

  init(file: String) {
    self.file = file
  }

  /// Decodes `root`; `nil` when any error was reported in `diagnostics`.
  mutating func decode(_ root: YAMLNode) -> Spec? {
    locations[""] = root.location
    guard
      let top = section(
        root, at: "",
        keys: [
          "name", "seed", "precision", "threads", "data", "model", "loss", "regularization",
          "optimizer", "training",
        ],
        hint: "a spec is a mapping with data, model, loss, optimizer and training")
    else { return nil }

    let name = string("name", in: top) ?? Self.defaultName(forFile: file)
    if name.isEmpty, let node = top.values["name"] {
      error(
        "name is empty", at: node.location, path: "name",
        hint: "leave name out to use the file name")
    }
    let seed = node("seed", in: top).flatMap { self.seed(from: $0, at: "seed") }
    if !top.hasValue("seed") {
      warning(
        "no seed: runs use seed 0", at: top.location, path: "seed",
        hint: "add 'seed: N' to say which random streams a run uses")
    }
    let precision: Precision = choice("precision", in: top, what: "precision") ?? .float32
    let threads = integer("threads", in: top, minimum: 1)

    let dataNode = node("data", in: top, required: true)
    let data = dataNode.flatMap { decodeData($0, at: "data") }
    let model = node("model", in: top, required: true).flatMap { decodeModel($0, at: "model") }
    let loss: LossKind? = choice("loss", in: top, required: true, what: "loss")
    let regularization =
      node("regularization", in: top).flatMap {
        decodeRegularization($0, at: "regularization")
      } ?? RegularizationSpec()
    let optimizer = node("optimizer", in: top, required: true).flatMap {
      decodeOptimizer($0, at: "optimizer")
    }
    // Whether validation was written, even wrongly: a bad value is its own error.
    var hasValidation = false
    if case .mapping(let pairs) = dataNode?.kind {
      hasValidation = pairs.contains {
        $0.key.scalarText == "validation" && ScalarValue($0.value) != .null
      }
    }
    let training = node("training", in: top, required: true).flatMap {
      decodeTraining($0, at: "training", hasValidation: hasValidation)
    }

    checkCombinations(
      model: model, loss: loss, optimizer: optimizer, training: training, precision: precision)

    // An optional part that failed has been reported; the caller sees the error.
    guard let data, let model, let loss, let optimizer, let training else { return nil }
    return Spec(
      file: file, name: name, seed: seed, precision: precision, threads: threads, data: data,
      model: model, loss: loss, regularization: regularization, optimizer: optimizer,
      training: training, locations: locations)
  }

  /// The file's last path component without its extension.
  static func defaultName(forFile file: String) -> String {
    let base = file.split(separator: "/").last.map(String.init) ?? file
    guard let dot = base.lastIndex(of: "."), dot != base.startIndex else { return base }
    return String(base[..<dot])
  }

  // MARK: - Data

  private mutating func decodeData(_ node: YAMLNode, at path: String) -> DataSpec? {
    guard
      let data = section(
        node, at: path,
        keys: [
          "train", "test", "label", "targets", "features", "scale", "standardize", "validation",
          "missing",
        ])
    else { return nil }

    let train = self.node("train", in: data, required: true).flatMap {
      decodeSource($0, at: data.path("train"))
    }
    let test = self.node("test", in: data).flatMap { decodeSource($0, at: data.path("test")) }
    if !data.hasValue("test") {
      warning(
        "no test data", at: data.location, path: data.path("test"),
        hint: "add data.test to measure the trained model on examples it did not see")
    }
    let label = string("label", in: data)
    let targets = columns("targets", in: data)
    let features = columns("features", in: data)
    let scale = number("scale", in: data, .positive)
    let standardize = bool("standardize", in: data) ?? false
    let validation = number("validation", in: data, .openUnit)
    let missing: MissingValues? = choice("missing", in: data, what: "missing-value policy")

    // Train and test must be read the same way.
    if let train, let test, Self.isCSV(train) != Self.isCSV(test), let node = data.values["test"] {
      error(
        "test data is \(Self.kindName(test)) but train data is \(Self.kindName(train))",
        at: node.location, path: data.path("test"), hint: "give both as IDX files or both as CSV")
    }

    // Column keys only make sense for CSV.
    if let train, !Self.isCSV(train) {
      for key in ["label", "targets", "features"] {
        guard let node = data.values[key] else { continue }
        error(
          "'\(key)' applies to CSV data only, but data.train is IDX", at: node.location,
          path: data.path(key), hint: "IDX label files already hold the classes; remove '\(key)'")
      }
    }
    if data.hasValue("label"), data.hasValue("targets"), let node = data.values["targets"] {
      error(
        "'label' and 'targets' cannot both be given", at: node.location,
        path: data.path("targets"),
        hint: "use label for classification or targets for regression")
    }
    if let features {
      let others = (label.map { [$0] } ?? []) + (targets ?? [])
      for column in features where others.contains(column) {
        guard let node = data.values["features"] else { continue }
        error(
          "column '\(column)' is both a feature and \(column == label ? "the label" : "a target")",
          at: node.location, path: data.path("features"))
      }
    }

    guard let train else { return nil }
    return DataSpec(
      train: train, test: test, label: label, targets: targets, features: features,
      scale: scale, standardize: standardize, validation: validation,
      missing: missing ?? .error)
  }

  /// `{images: PATH, labels: PATH}` or `{csv: PATH}`.
  private mutating func decodeSource(_ node: YAMLNode, at path: String) -> DataSource? {
    guard
      let source = section(
        node, at: path, keys: ["images", "labels", "csv"],
        hint: "write {images: PATH, labels: PATH} for IDX files or {csv: PATH}")
    else { return nil }

    if source.values["csv"] != nil {
      for key in ["images", "labels"] {
        guard let node = source.values[key] else { continue }
        error(
          "'\(key)' cannot be combined with 'csv'", at: node.location, path: source.path(key),
          hint: "a data source is either IDX files (images and labels) or one CSV file")
      }
      return resolvedPath("csv", in: source).map { .csv(path: $0) }
    }
    guard source.values["images"] != nil || source.values["labels"] != nil else {
      error(
        "a data source needs 'images' and 'labels' (IDX files) or 'csv'", at: source.location,
        path: path)
      return nil
    }
    let images = resolvedPath("images", in: source)
    let labels = resolvedPath("labels", in: source)
    guard let images, let labels else { return nil }
    return .idx(images: images, labels: labels)
  }

  /// A required path, resolved against the spec file's folder.
  private mutating func resolvedPath(_ key: String, in source: Section) -> String? {
    guard let path = string(key, in: source, required: true) else { return nil }
    guard !path.isEmpty else {
      if let node = source.values[key] {
        error("the path is empty", at: node.location, path: source.path(key))
      }
      return nil
    }
    return SpecPaths.resolve(path, relativeTo: file)
  }

  private static func isCSV(_ source: DataSource) -> Bool {
    if case .csv = source { return true }
    return false
  }

  private static func kindName(_ source: DataSource) -> String {
    isCSV(source) ? "CSV" : "IDX"
  }

  // MARK: - Model

  private mutating func decodeModel(_ node: YAMLNode, at path: String) -> ModelSpec? {
    guard let model = section(node, at: path, keys: ["layers"]),
      let list = self.node("layers", in: model, required: true)
    else { return nil }
    let layersPath = model.path("layers")
    guard case .sequence(let items) = list.kind else {
      mismatch(
        expected: "a sequence of layers", found: list, path: layersPath,
        hint: "write each layer as '- {units: N, activation: NAME}'")
      return nil
    }
    guard !items.isEmpty else {
      error(
        "model.layers is empty", at: list.location, path: layersPath,
        hint: "list at least one layer: the last one is the output layer")
      return nil
    }

    var layers: [LayerSpec] = []
    for (index, item) in items.enumerated() {
      let itemPath = "\(layersPath)[\(index)]"
      locations[itemPath] = item.location
      if let layer = decodeLayer(item, at: itemPath) { layers.append(layer) }
    }
    return layers.count == items.count ? ModelSpec(layers: layers) : nil
  }

  private mutating func decodeLayer(_ node: YAMLNode, at path: String) -> LayerSpec? {
    guard
      let layer = section(
        node, at: path, keys: ["units", "activation", "bias"],
        hint: "write a layer as {units: N, activation: NAME}")
    else { return nil }
    let units = integer("units", in: layer, required: true, minimum: 1)
    let activation: Activation? = choice(
      "activation", in: layer, required: true, what: "activation")
    let bias = bool("bias", in: layer) ?? true
    guard let units, let activation else { return nil }
    return LayerSpec(units: units, activation: activation, bias: bias)
  }

  // MARK: - Loss and regularization

  private mutating func decodeRegularization(
    _ node: YAMLNode, at path: String
  ) -> RegularizationSpec? {
    guard let regularization = section(node, at: path, keys: ["l2"]) else { return nil }
    return RegularizationSpec(l2: number("l2", in: regularization, .nonNegative) ?? 0)
  }
}
