import SpecParser

/// The columns of one CSV file that a spec reads, as numbers (features,
/// regression targets) and label strings, still unscaled.
struct CSVExamples: Sendable {
  var table: CSVTable
  var count: Int { table.records.count }
  /// 0-based indices into the header of the feature, label and target columns.
  var featureColumns: [Int]
  var labelColumn: Int?
  var targetColumns: [Int]
  /// count × featureColumns.count, row-major.
  var features: [Double]
  /// One label per record; empty without a label column.
  var labels: [String]
  /// count × targetColumns.count, row-major.
  var targets: [Double]

  /// The 1-based lines of the rows left out for a missing value (`drop` policy).
  var droppedLines: [Int] = []

  /// Picks the named columns from `table`, checking every selected value.
  /// A row with a missing value in one of them is an error, or with the
  /// `drop` policy is left out (and its line kept in `droppedLines`).
  init(
    _ table: CSVTable, features: [String], label: String?, targets: [String],
    missing: MissingValues = .error
  ) throws(DataError) {
    guard !table.records.isEmpty else {
      throw DataError(
        .noExamples, file: table.path, row: table.headerLine,
        "the file has a header row but no data rows")
    }
    featureColumns = try features.map { name throws(DataError) in
      try table.columnIndex(name, role: "feature")
    }
    labelColumn = try label.map { name throws(DataError) in
      try table.columnIndex(name, role: "label")
    }
    targetColumns = try targets.map { name throws(DataError) in
      try table.columnIndex(name, role: "target")
    }

    var kept = table
    if missing == .drop {
      let read = featureColumns + targetColumns + (labelColumn.map { [$0] } ?? [])
      let (complete, incomplete) = table.records.partitioned { record in
        !read.contains { isMissing(record.fields[$0]) }
      }
      kept.records = complete
      droppedLines = incomplete.map(\.line)
      guard !complete.isEmpty else {
        throw DataError(
          .noExamples, file: table.path,
          "every one of the \(table.records.count) data rows has a missing value in a "
            + "column the spec reads, so 'missing: drop' leaves none",
          hint: "fill in the missing values, or check that the right columns are selected")
      }
    }
    self.table = kept
    self.features = try kept.numbers(in: featureColumns)
    self.targets = try kept.numbers(in: targetColumns)
    self.labels =
      try labelColumn.map { column throws(DataError) in
        try kept.labels(in: column)
      } ?? []
  }

  /// Each label's index in `classes`.
  ///
  /// - Throws: `unseenLabel` at the first label that is not a class, saying
  ///   it was not in the training data (`fromTraining` false) or not among the
  ///   planned classes (the training file changed since it was probed).
  func classIndices(_ classes: [String], fromTraining: Bool) throws(DataError) -> [Int32] {
    var index: [String: Int32] = [:]
    for (k, name) in classes.enumerated() { index[name] = Int32(k) }
    var indices: [Int32] = []
    indices.reserveCapacity(labels.count)
    for (record, label) in zip(table.records, labels) {
      guard let k = index[label] else {
        let column = labelColumn ?? 0
        let name = table.columns[column]
        throw DataError(
          .unseenLabel, file: table.path, row: record.line, column: column + 1,
          fromTraining
            ? "label \"\(label)\" in column '\(name)' is not among the \(classes.count) "
              + "classes found when the data was probed"
            : "label \"\(label)\" in column '\(name)' does not occur in the training data",
          hint: fromTraining
            ? "was the training file changed while nnc was running?"
            : "the training classes are \(listing(classes)); a test set may only use those")
      }
      indices.append(k)
    }
    return indices
  }
}

/// The column names a spec reads from a CSV file.
struct CSVSelection: Sendable, Equatable {
  var features: [String]
  var label: String?
  var targets: [String]

  /// The spec's choice checked against the training file's header: exactly
  /// one of `label` and `targets`; the features default to every other column.
  init(_ data: DataSpec, header table: CSVTable) throws(DataError) {
    let path = table.path
    switch (data.label, data.targets) {
    case (nil, nil):
      throw DataError(
        .invalidSpec, file: path,
        "the spec names neither a label column nor target columns for this CSV file",
        hint: "set 'data.label' to the class column (classification) or 'data.targets' "
          + "to the columns to predict (regression)")
    case (.some, .some):
      throw DataError(
        .invalidSpec, file: path, "the spec sets both 'data.label' and 'data.targets'",
        hint: "set 'label' for classification or 'targets' for regression, not both")
    case (.none, .some(let targets)) where targets.isEmpty:
      throw DataError(.invalidSpec, file: path, "'data.targets' names no columns")
    default:
      break
    }
    label = data.label
    targets = data.targets ?? []
    let predicted = (label.map { [$0] } ?? []) + targets
    // Resolve the predicted columns first, so a misspelt label is reported as
    // such rather than left among the features.
    for name in predicted {
      _ = try table.columnIndex(name, role: label == name ? "label" : "target")
    }
    features = data.features ?? table.columns.filter { !predicted.contains($0) }

    for (index, name) in features.enumerated() {
      if predicted.contains(name) {
        throw DataError(
          .invalidSpec, file: path,
          "column '\(name)' is both a feature and \(label == name ? "the label" : "a target")",
          hint: "remove it from 'data.features'")
      }
      if features[..<index].contains(name) {
        throw DataError(
          .invalidSpec, file: path, "column '\(name)' is listed twice in 'data.features'")
      }
    }
    for (index, name) in targets.enumerated() where targets[..<index].contains(name) {
      throw DataError(
        .invalidSpec, file: path, "column '\(name)' is listed twice in 'data.targets'")
    }
    guard !features.isEmpty else {
      throw DataError(
        .invalidSpec, file: path, row: table.headerLine,
        "no feature columns are left once the label and targets are set aside",
        hint: "the file needs at least one numeric column to predict from")
    }
  }
}

/// Classes in index order: numeric order when every label is an integer
/// ("1", "2", "10"), otherwise byte-wise string order.
func orderedClasses(_ labels: [String]) -> [String] {
  let distinct = Array(Set(labels))
  let integers = distinct.compactMap { label in Int(label).map { (label, $0) } }
  if integers.count == distinct.count {
    // "01" and "1" are different classes; their bytes break the tie.
    return integers.sorted { a, b in
      a.1 != b.1 ? a.1 < b.1 : a.0.utf8.lexicographicallyPrecedes(b.0.utf8)
    }.map(\.0)
  }
  return distinct.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
}

extension CSVTable {
  /// The 0-based index of the column called `name`.
  ///
  /// - Throws: `missingColumn` at the header row, listing the columns there
  ///   are and suggesting the nearest name.
  func columnIndex(_ name: String, role: String) throws(DataError) -> Int {
    if let index = columns.firstIndex(of: name) { return index }
    let hint: String?
    if let suggestion = closestName(to: name, among: columns) {
      hint = "did you mean '\(suggestion)'?"
    } else if let number = columns.first(where: { Double($0) != nil }) {
      // A file without a header row has its first data row taken for one.
      hint =
        "the header holds the number '\(number)'; does the file lack a header row? "
        + "The first line must name the columns"
    } else {
      hint = nil
    }
    throw DataError(
      .missingColumn, file: path, row: headerLine,
      "the \(role) column '\(name)' is not in the header; the columns are \(listing(columns))",
      hint: hint)
  }

  /// The values of `columns` as finite numbers: records.count × columns.count, row-major.
  func numbers(in columns: [Int]) throws(DataError) -> [Double] {
    var values: [Double] = []
    values.reserveCapacity(records.count * columns.count)
    for record in records {
      for column in columns {
        values.append(try number(in: record, column: column))
      }
    }
    return values
  }

  /// The values of `column`, each non-empty.
  func labels(in column: Int) throws(DataError) -> [String] {
    var values: [String] = []
    values.reserveCapacity(records.count)
    for record in records {
      let text = record.fields[column]
      guard !isMissing(text) else {
        throw missingValue(record, column: column, expecting: "a label")
      }
      values.append(text)
    }
    return values
  }

  private func number(in record: CSVRecord, column: Int) throws(DataError) -> Double {
    let text = record.fields[column]
    // Only plain decimals are numbers: Double(_:) would also take C's hex
    // floats (`0x10`, `0x1p4`), which no spreadsheet writes and which are far
    // more likely a code than a quantity.
    let decimal = text.utf8.allSatisfy { byte in
      (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        || [UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "e"),
          UInt8(ascii: "E")].contains(byte)
    }
    if decimal, let value = Double(text), value.isFinite { return value }
    let isSpecial = !text.lowercased().hasPrefix("0x") && Double(text) != nil
    guard isSpecial || !isMissing(text) else {
      throw missingValue(record, column: column, expecting: "a number")
    }

    let hint: String?
    if isSpecial {
      hint = "NaN and infinite values cannot be trained on; remove or fill in the row"
    } else if record.fields == columns {
      hint = "this row repeats the header; were two files joined? Remove the repeated header"
    } else if text.contains(",") {
      hint = "write numbers with a decimal point and without thousands separators"
    } else {
      hint = nil
    }
    throw DataError(
      .notANumber, file: path, row: record.line, column: column + 1,
      "expected a\(isSpecial ? " finite" : "") number in column '\(columns[column])', "
        + "found \"\(shortened(text))\"",
      hint: hint)
  }

  private func missingValue(
    _ record: CSVRecord, column: Int, expecting expected: String
  ) -> DataError {
    let text = record.fields[column]
    let found = text.isEmpty ? "an empty field" : "\"\(text)\""
    return DataError(
      .missingValue, file: path, row: record.line, column: column + 1,
      "missing value in column '\(columns[column])': expected \(expected), found \(found)",
      hint: "fill in the value, or set 'data.missing: drop' to leave out such rows")
  }
}

/// Whether a field stands for a missing value: empty, or a marker that
/// spreadsheets and data frames write for one (`NA`, `N/A`, `NaN`, `null`, in
/// any case). Only the `drop` policy leaves out a row for `NaN`; otherwise
/// it is reported as a value that is not finite.
func isMissing(_ field: String) -> Bool {
  field.isEmpty || missingMarkers.contains(field.lowercased())
}

private let missingMarkers: Set<String> = ["na", "n/a", "nan", "null"]

/// At most 40 characters of `text`, for messages.
private func shortened(_ text: String) -> String {
  text.count > 40 ? String(text.prefix(40)) + "…" : text
}

extension Array {
  /// The elements that satisfy `isIncluded` and those that do not, each in order.
  fileprivate func partitioned(
    by isIncluded: (Element) -> Bool
  ) -> (included: [Element], excluded: [Element]) {
    var included: [Element] = []
    var excluded: [Element] = []
    for element in self {
      if isIncluded(element) { included.append(element) } else { excluded.append(element) }
    }
    return (included, excluded)
  }
}
