import Planner
import SpecParser

/// Examples for a model that is already trained: rows to predict, or
/// labelled rows to evaluate on. Unlike `DataLoader`, nothing is learned from
/// the file: the features go through the preprocessing recorded at training
/// time, so the training data need not be at hand.
public enum ModelInput {
  /// Reads `source` as a trained model sees it.
  ///
  /// CSV: the columns named in `features` (any others are ignored) and, with
  /// `answers`, the label column (classification) or target columns. IDX:
  /// the images file, and with `answers` its labels file; without answers the
  /// labels path of `source` is not read. Labels are mapped to their index in
  /// the task's classes; a label outside them is an error.
  ///
  /// - Throws: `DataError` for an unreadable or malformed file, a missing
  ///   column, an image size other than the model's input, or preprocessing
  ///   statistics that do not have one entry per feature.
  public static func read<S: Scalar>(
    _ source: DataSource, features: [String], task: Task, label: String?, answers: Bool,
    preprocessing: Preprocessing, as _: S.Type
  ) throws(DataError) -> Examples<S> {
    let path = source.paths.first ?? ""
    for statistic in [preprocessing.mean, preprocessing.std] {
      guard let statistic, statistic.count != features.count else { continue }
      throw DataError(
        .shapeMismatch, file: path,
        "the preprocessing holds \(statistic.count) statistics for \(features.count) features")
    }
    switch source {
    case .csv(let path):
      var targets: [String] = []
      var labelColumn: String?
      if answers {
        switch task {
        case .classification:
          guard let label else {
            throw DataError(
              .invalidSpec, file: path, "the spec names no label column to evaluate against")
          }
          labelColumn = label
        case .regression(let names): targets = names
        }
      }
      let csv = try CSVExamples(
        CSVReader.read(path), features: features, label: labelColumn, targets: targets)
      var labels: [Int32] = []
      if answers, case .classification(let classes) = task {
        labels = try csv.classIndices(classes, fromTraining: false)
      }
      let values = csv.features.withUnsafeBufferPointer {
        apply(preprocessing, to: $0, width: features.count, as: S.self)
      }
      return Examples(
        count: csv.count, width: features.count, features: values, labels: labels,
        targets: csv.targets.map { S($0) })

    case .idx(let imagesPath, let labelsPath):
      let images = try IDXReader.read(imagesPath, as: .images)
      guard images.header.count > 0 else {
        throw DataError(.noExamples, file: imagesPath, "the images file holds no images")
      }
      guard images.header.recordSize == features.count else {
        throw DataError(
          .shapeMismatch, file: imagesPath,
          "the images have \(images.header.recordSize) pixels but the model takes "
            + "\(features.count) inputs")
      }
      var labels: [Int32] = []
      if answers {
        guard case .classification(let classes) = task else {
          throw DataError(
            .shapeMismatch, file: labelsPath,
            "IDX labels are classes, but the model predicts regression targets")
        }
        let file = try IDXReader.read(labelsPath, as: .labels)
        try IDXReader.checkCounts(
          images: images.header, imagesPath: imagesPath, labels: file.header,
          labelsPath: labelsPath)
        try file.checkLabels(below: classes.count)
        labels = file.labelBytes.map { Int32($0) }
      }
      let pixels = images.bytes[images.header.headerSize...].map { Double($0) }
      let values = pixels.withUnsafeBufferPointer {
        apply(preprocessing, to: $0, width: features.count, as: S.self)
      }
      return Examples(
        count: images.header.count, width: features.count, features: values, labels: labels,
        targets: [])
    }
  }

  /// x′_j = x_j · slope_j + offset_j with slope_j = s / std_j and
  /// offset_j = −mean_j / std_j (slope s and offset 0 without
  /// standardization), formed in Double and then rounded to S: the same
  /// operations in the same order as the training data went through, so a
  /// training row comes out with the same bits.
  static func apply<S: Scalar>(
    _ preprocessing: Preprocessing, to values: UnsafeBufferPointer<Double>, width d: Int,
    as _: S.Type
  ) -> [S] {
    let s = preprocessing.scale ?? 1
    var slope = [Double](repeating: s, count: d)
    var offset = [Double](repeating: 0, count: d)
    if let mean = preprocessing.mean, let std = preprocessing.std {
      slope = std.map { s / $0 }
      offset = zip(mean, std).map { -$0 / $1 }
    }
    return values.indices.map { i in S(values[i] * slope[i % d] + offset[i % d]) }
  }
}
