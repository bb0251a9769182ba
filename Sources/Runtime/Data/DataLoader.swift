import Planner
import SpecParser

/// A set of examples ready for training or evaluation.
///
/// Legend: n = `count`, d = `width` (features), t = regression targets.
public struct Examples<S: Scalar>: Sendable {
  public var count: Int
  public var width: Int
  /// n × d, row-major, after scaling and standardization.
  public var features: [S]
  /// Classification: n class indices into the plan's class list; empty for regression.
  public var labels: [Int32]
  /// Regression: n × t targets, row-major, as read; empty for classification.
  public var targets: [S]

  public init(count: Int, width: Int, features: [S], labels: [Int32], targets: [S]) {
    precondition(features.count == count * width, "\(features.count) features, \(count)×\(width)")
    self.count = count
    self.width = width
    self.features = features
    self.labels = labels
    self.targets = targets
  }
}

/// What was done to the features, so prediction can do the same to new data:
/// x′_j = (x_j · scale − mean[j]) / std[j].
public struct Preprocessing: Sendable, Equatable {
  /// The spec's scale, applied first; `nil` when the spec sets none.
  public var scale: Double?
  /// d training means of the scaled features; `nil` without standardization.
  public var mean: [Double]?
  /// d divisors: the training population standard deviation of each scaled
  /// feature, or 1 for a constant feature (which is only centred); `nil`
  /// without standardization.
  public var std: [Double]?

  public init(scale: Double? = nil, mean: [Double]? = nil, std: [Double]? = nil) {
    self.scale = scale
    self.mean = mean
    self.std = std
  }
}

/// The training set, the test set when the spec names one, and the preprocessing
/// both went through (with the training statistics).
public struct LoadedData<S: Scalar>: Sendable {
  public var train: Examples<S>
  public var test: Examples<S>?
  public var preprocessing: Preprocessing
  /// CSV rows left out under `data.missing: drop`, one entry per file that lost any.
  public var dropped: [DroppedRows]

  public init(
    train: Examples<S>, test: Examples<S>?, preprocessing: Preprocessing,
    dropped: [DroppedRows] = []
  ) {
    self.train = train
    self.test = test
    self.preprocessing = preprocessing
    self.dropped = dropped
  }
}

/// The rows of one CSV file that `data.missing: drop` left out.
public struct DroppedRows: Sendable, Equatable, CustomStringConvertible {
  public var file: String
  /// The 1-based lines of the rows left out, in file order.
  public var lines: [Int]
  /// The file's data rows before any were left out.
  public var rowCount: Int

  /// `file: note: left out 2 of 150 rows with a missing value (lines 4, 9) …`.
  public var description: String {
    let shown = lines.prefix(10).map(String.init).joined(separator: ", ")
    let more = lines.count > 10 ? ", …" : ""
    return "\(file): note: left out \(lines.count) of \(rowCount) rows with a missing value "
      + "(line\(lines.count == 1 ? "" : "s") \(shown)\(more)), as 'data.missing: drop' asks"
  }
}

/// Reads the examples a spec names, in the shape the planner probed.
public enum DataLoader {
  /// Reads, checks and prepares the training and test examples.
  ///
  /// Features are multiplied by `data.scale`, then, with `data.standardize`,
  /// shifted and divided by the training mean and standard deviation; the
  /// test set gets the training statistics. Class indices follow
  /// `shape.task`'s class order.
  ///
  /// `byteLimit` is the most bytes one data file may hold (the memory
  /// budget); a larger file is refused before it is read. `nil`: no limit.
  ///
  /// - Throws: `DataError` for any unreadable or malformed file, a test label
  ///   not seen in training, or files that no longer match `shape`.
  public static func load<S: Scalar>(
    _ data: DataSpec, shape: DataShape, as type: S.Type, byteLimit: Int? = nil
  ) throws(DataError) -> LoadedData<S> {
    try load(data, shape: shape, as: type, from: .disk(byteLimit: byteLimit))
  }

  /// Reads, checks and prepares the examples, with the files read from `files`.
  public static func load<S: Scalar>(
    _ data: DataSpec, shape: DataShape, as type: S.Type, from files: DataFiles
  ) throws(DataError) -> LoadedData<S> {
    switch data.train {
    case .idx(let images, let labels):
      return try loadIDX(
        data, images: images, labels: labels, shape: shape, as: type, in: files)
    case .csv(let path):
      return try loadCSV(data, path: path, shape: shape, as: type, in: files)
    }
  }

  // MARK: - IDX

  private static func loadIDX<S: Scalar>(
    _ data: DataSpec, images: String, labels: String, shape: DataShape, as _: S.Type,
    in files: DataFiles
  ) throws(DataError) -> LoadedData<S> {
    try DataProbe.checkIDXSpec(data, images: images)
    guard case .classification(let classes) = shape.task else {
      throw DataError(
        .shapeMismatch, file: images,
        "the plan is for regression, but IDX data holds class labels")
    }
    let train = try IDXPair(
      images: images, labels: labels, classCount: classes.count, in: files)
    try checkUnchanged(
      file: images, count: train.count, width: train.width, against: shape)

    var test: IDXPair?
    if case .idx(let testImages, let testLabels) = data.test {
      let pair = try IDXPair(
        images: testImages, labels: testLabels, classCount: classes.count, in: files)
      try DataProbe.checkImageShape(
        pair.images.header, path: testImages, training: train.images.header)
      test = pair
    }

    let statistics =
      data.standardize
      ? train.withPixels { pixels in
        FeatureScaling.statistics(ofBytes: pixels, count: train.count, width: train.width)
      } : nil
    let scaling = FeatureScaling(width: train.width, scale: data.scale, statistics: statistics)
    return try LoadedData(
      train: train.examples(scaling, as: S.self),
      test: test.map { test throws(DataError) in try test.examples(scaling, as: S.self) },
      preprocessing: scaling.preprocessing)
  }

  // MARK: - CSV

  private static func loadCSV<S: Scalar>(
    _ data: DataSpec, path: String, shape: DataShape, as _: S.Type, in files: DataFiles
  ) throws(DataError) -> LoadedData<S> {
    if case .idx(let images, _) = data.test {
      throw DataProbe.formatMismatch(test: images, testFormat: "IDX", trainFormat: "CSV")
    }
    let label: String?
    let targets: [String]
    let classes: [String]?
    switch shape.task {
    case .classification(let names):
      guard let name = data.label else {
        throw DataError(
          .shapeMismatch, file: path,
          "the plan is for classification, but the spec names no label column")
      }
      (label, targets, classes) = (name, [], names)
    case .regression(let names):
      (label, targets, classes) = (nil, names, nil)
    }

    let train = try CSVExamples(
      CSVReader.read(path, in: files), features: shape.featureNames, label: label,
      targets: targets, missing: data.missing)
    try checkUnchanged(
      file: path, count: train.count, width: shape.featureNames.count, against: shape)
    var test: CSVExamples?
    if case .csv(let testPath) = data.test {
      test = try CSVExamples(
        CSVReader.read(testPath, in: files), features: shape.featureNames, label: label,
        targets: targets, missing: data.missing)
    }
    let dropped = [train, test].compactMap { examples in
      examples.flatMap { examples in
        examples.droppedLines.isEmpty
          ? nil
          : DroppedRows(
            file: examples.table.path, lines: examples.droppedLines,
            rowCount: examples.count + examples.droppedLines.count)
      }
    }

    let width = shape.featureNames.count
    let statistics =
      data.standardize
      ? FeatureScaling.statistics(of: train.features, count: train.count, width: width) : nil
    let scaling = FeatureScaling(width: width, scale: data.scale, statistics: statistics)
    let trainExamples: Examples<S> = try examples(
      train, classes: classes, fromTraining: true, scaling: scaling)
    let testExamples: Examples<S>? = try test.map { test throws(DataError) in
      try examples(test, classes: classes, fromTraining: false, scaling: scaling)
    }
    return LoadedData(
      train: trainExamples, test: testExamples, preprocessing: scaling.preprocessing,
      dropped: dropped)
  }

  private static func examples<S: Scalar>(
    _ csv: CSVExamples, classes: [String]?, fromTraining: Bool, scaling: FeatureScaling
  ) throws(DataError) -> Examples<S> {
    let labels = try classes.map { classes throws(DataError) in
      try csv.classIndices(classes, fromTraining: fromTraining)
    }
    let features = csv.features.withUnsafeBufferPointer { values in
      scaling.apply(to: values, as: S.self)
    }
    let targets = csv.targets.map { S($0) }
    let steps = [
      scaling.preprocessing.scale.map { _ in "data.scale" },
      scaling.preprocessing.std.map { _ in "standardization" },
    ].compactMap { $0 }
    let preparation = steps.isEmpty ? "" : " after " + steps.joined(separator: " and ")
    for (prepared, raw, columns, role) in [
      (features, csv.features, csv.featureColumns, preparation),
      (targets, csv.targets, csv.targetColumns, ""),
    ] {
      guard let i = prepared.firstIndex(where: { !$0.isFinite }) else { continue }
      let record = csv.table.records[i / columns.count]
      let column = columns[i % columns.count]
      throw DataError(
        .notANumber, file: csv.table.path, row: record.line, column: column + 1,
        "the value \(raw[i]) in column '\(csv.table.columns[column])' becomes "
          + "\(prepared[i]) in \(S.precisionName)\(role)",
        hint: "use precision: float64, or bring the column's values nearer to 1")
    }
    return Examples(
      count: csv.count, width: csv.featureColumns.count, features: features,
      labels: labels ?? [], targets: targets)
  }

  /// The training file read now must be the one the plan was made from.
  private static func checkUnchanged(
    file: String, count: Int, width: Int, against shape: DataShape
  ) throws(DataError) {
    guard count != shape.trainCount || width != shape.inputWidth else { return }
    throw DataError(
      .shapeMismatch, file: file,
      "the training data holds \(count) examples of \(width) features, but the plan was "
        + "made for \(shape.trainCount) of \(shape.inputWidth)",
      hint: "was the file changed after the plan was made? Plan again")
  }
}

/// An images file and its labels file, read whole and checked against each other.
private struct IDXPair {
  var images: IDXFile
  var labels: IDXFile

  init(images: String, labels: String, classCount: Int, in files: DataFiles) throws(DataError) {
    self.images = try IDXReader.read(images, as: .images, in: files)
    self.labels = try IDXReader.read(labels, as: .labels, in: files)
    try IDXReader.checkCounts(
      images: self.images.header, imagesPath: images,
      labels: self.labels.header, labelsPath: labels)
    guard self.images.header.count > 0 else {
      throw DataError(.noExamples, file: images, "the images file holds no images")
    }
    try self.labels.checkLabels(below: classCount)
  }

  var count: Int { images.header.count }
  var width: Int { images.header.recordSize }

  /// The n × d pixel bytes after the header.
  func withPixels<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    images.bytes.withUnsafeBufferPointer { bytes in
      body(UnsafeBufferPointer(rebasing: bytes[images.header.headerSize...]))
    }
  }

  func examples<S: Scalar>(
    _ scaling: FeatureScaling, as _: S.Type
  ) throws(DataError) -> Examples<S> {
    let features = withPixels { pixels in scaling.apply(to: pixels, as: S.self) }
    // Only a scale near the largest Double can overflow a pixel (at most 255).
    if let i = features.firstIndex(where: { !$0.isFinite }) {
      throw DataError(
        .notANumber, file: images.path, record: i / width,
        "pixel \(i % width) becomes \(features[i]) when scaled and converted to "
          + "\(S.precisionName)",
        hint: "data.scale is too large; pixels are usually scaled by 1/255")
    }
    return Examples(
      count: count, width: width, features: features,
      labels: labels.labelBytes.map { Int32($0) }, targets: [])
  }
}
