import Planner
import SpecParser

/// Finds the data's shape before training, for the planner.
///
/// IDX: the images' header only (a gzip file is inflated no further than its
/// first 16 bytes) and the whole labels file, which is small. CSV: the whole
/// file, since the classes are the distinct values of the label column and
/// CSV data sets are small; every selected value is checked on the way.
public enum DataProbe {
  /// The data's shape from file headers (IDX) or header row + label column (CSV).
  ///
  /// - Parameter byteLimit: the most bytes one data file may hold (the memory
  ///   budget); a larger file is refused before it is read. `nil`: no limit.
  public static func shape(
    of data: DataSpec, byteLimit: Int? = nil
  ) throws(DataError) -> DataShape {
    try shape(of: data, in: .disk(byteLimit: byteLimit))
  }

  /// The data's shape, with the files read from `files`.
  public static func shape(of data: DataSpec, in files: DataFiles) throws(DataError) -> DataShape {
    switch data.train {
    case .idx(let images, let labels):
      return try idxShape(of: data, images: images, labels: labels, in: files)
    case .csv(let path):
      return try csvShape(of: data, path: path, in: files)
    }
  }

  // MARK: - IDX

  private static func idxShape(
    of data: DataSpec, images: String, labels: String, in files: DataFiles
  ) throws(DataError) -> DataShape {
    try checkIDXSpec(data, images: images)
    let trainImages = try IDXReader.readHeader(images, as: .images, in: files)
    let trainLabels = try IDXReader.read(labels, as: .labels, in: files)
    try IDXReader.checkCounts(
      images: trainImages, imagesPath: images, labels: trainLabels.header, labelsPath: labels)
    guard trainLabels.header.count > 0 else {
      throw DataError(.noExamples, file: images, "the training images file holds no images")
    }
    let classCount = try trainLabels.checkClassesPresent()

    var testCount: Int?
    if case .idx(let testImagesPath, let testLabelsPath) = data.test {
      let testImages = try IDXReader.readHeader(testImagesPath, as: .images, in: files)
      let testLabels = try IDXReader.read(testLabelsPath, as: .labels, in: files)
      try IDXReader.checkCounts(
        images: testImages, imagesPath: testImagesPath,
        labels: testLabels.header, labelsPath: testLabelsPath)
      try checkImageShape(testImages, path: testImagesPath, training: trainImages)
      try testLabels.checkLabels(below: classCount)
      testCount = testImages.count
    }
    return DataShape(
      trainCount: trainImages.count, testCount: testCount,
      featureNames: (0..<trainImages.recordSize).map { "pixel\($0)" },
      task: .classification(classes: (0..<classCount).map { String($0) }))
  }

  /// IDX data is always classification over whole images; the CSV column
  /// options cannot apply. A `label` name is ignored: it asks for nothing
  /// the IDX layout does not already give.
  static func checkIDXSpec(_ data: DataSpec, images: String) throws(DataError) {
    for (key, isSet) in [("targets", data.targets != nil), ("features", data.features != nil)]
    where isSet {
      throw DataError(
        .invalidSpec, file: images,
        "'data.\(key)' selects CSV columns, but the training data is in IDX files",
        hint: "remove 'data.\(key)'; IDX images are classified on all their pixels")
    }
    if case .csv(let path) = data.test {
      throw formatMismatch(test: path, testFormat: "CSV", trainFormat: "IDX")
    }
  }

  static func checkImageShape(
    _ test: IDXHeader, path: String, training: IDXHeader
  ) throws(DataError) {
    guard test.recordShape != training.recordShape else { return }
    let shape = { (header: IDXHeader) in
      header.recordShape.map(String.init).joined(separator: " × ")
    }
    throw DataError(
      .shapeMismatch, file: path,
      "the test images are \(shape(test)) pixels but the training images are "
        + "\(shape(training))")
  }

  static func formatMismatch(
    test path: String, testFormat: String, trainFormat: String
  ) -> DataError {
    DataError(
      .invalidSpec, file: path,
      "the test data is \(testFormat) but the training data is \(trainFormat)",
      hint: "give the test set in the same format as the training set")
  }

  // MARK: - CSV

  private static func csvShape(
    of data: DataSpec, path: String, in files: DataFiles
  ) throws(DataError) -> DataShape {
    if case .idx(let images, _) = data.test {
      throw formatMismatch(test: images, testFormat: "IDX", trainFormat: "CSV")
    }
    let table = try CSVReader.read(path, in: files)
    let selection = try CSVSelection(data, header: table)
    let train = try CSVExamples(
      table, features: selection.features, label: selection.label,
      targets: selection.targets, missing: data.missing)

    let task: Task
    if selection.label != nil {
      task = .classification(classes: orderedClasses(train.labels))
    } else {
      task = .regression(targets: selection.targets)
    }

    var testCount: Int?
    if case .csv(let testPath) = data.test {
      let test = try CSVExamples(
        CSVReader.read(testPath, in: files), features: selection.features,
        label: selection.label, targets: selection.targets, missing: data.missing)
      if case .classification(let classes) = task {
        _ = try test.classIndices(classes, fromTraining: false)
      }
      testCount = test.count
    }
    return DataShape(
      trainCount: train.count, testCount: testCount, featureNames: selection.features,
      task: task)
  }
}
