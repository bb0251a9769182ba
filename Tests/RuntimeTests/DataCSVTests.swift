import Planner
import SpecParser
import Testing

@testable import Runtime

@Test func csvQuotesLineEndsAndBlankLines() throws {
  let table = try CSVReader.read(dataFixture("quoted.csv"))
  #expect(table.columns == ["x1", "x 2", "name"])
  #expect(table.headerLine == 1)
  #expect(
    table.records == [
      CSVRecord(line: 2, fields: ["1.5", "2", "plain"]),
      CSVRecord(line: 4, fields: ["3", "4", "a, \"quoted\" comma"]),
      CSVRecord(line: 6, fields: ["-5e-1", "6", "two\nlines"]),
      CSVRecord(line: 8, fields: ["7", "8", "last"]),
    ])
}

@Test func csvByteOrderMarkAndLoneCarriageReturns() throws {
  let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a,b\r1,2\r\r3,4".utf8)
  let table = try CSVReader.parse(bytes, path: "bom.csv")
  #expect(table.columns == ["a", "b"])
  #expect(table.records.map(\.line) == [2, 4])
  #expect(table.records.map(\.fields) == [["1", "2"], ["3", "4"]])
}

@Test func csvQuotedEmptyFieldIsNotABlankLine() throws {
  let table = try CSVReader.parse(Array("name\n\"\"\nx\n".utf8), path: "q.csv")
  #expect(table.records.map(\.fields) == [[""], ["x"]])
}

/// One malformed CSV and where its error must point.
struct DataCSVFault: Sendable, CustomStringConvertible {
  var description: String
  var text: String
  var label: String? = "y"
  var targets: [String]? = nil
  var features: [String]? = nil
  var kind: DataError.Kind
  var row: Int?
  var column: Int?
  var message: String
  var hint: String? = nil
}

let dataCSVFaults: [DataCSVFault] = [
  DataCSVFault(
    description: "too many fields", text: "a,b,y\n1,2,0\n3,4,0,5\n", kind: .fieldCount,
    row: 3, column: 4, message: "too many fields: expected 3 as in the header, found 4"),
  DataCSVFault(
    description: "too few fields", text: "a,b,y\n1,2,0\n3,4\n", kind: .fieldCount,
    row: 3, column: 3,
    message: "too few fields: expected 3 as in the header, found 2; column 'y' is missing"),
  DataCSVFault(
    description: "header looks like data", text: "1,2,3\n4,5,6\n", kind: .invalidHeader,
    row: 1, column: nil,
    message: "the first row looks like data; a header row naming the columns is required"),
  DataCSVFault(
    description: "empty feature", text: "a,b,y\n1,2,0\n1, ,0\n", kind: .missingValue,
    row: 3, column: 2,
    message: "missing value in column 'b': expected a number, found an empty field"),
  DataCSVFault(
    description: "empty label", text: "a,y\n1,x\n2,\n", kind: .missingValue, row: 3,
    column: 2, message: "missing value in column 'y': expected a label, found an empty field"),
  DataCSVFault(
    description: "text in a feature", text: "a,b,y\n1,abc,0\n", kind: .notANumber,
    row: 2, column: 2, message: "expected a number in column 'b', found \"abc\""),
  DataCSVFault(
    description: "NaN in a feature", text: "a,b,y\n1,NaN,0\n", kind: .notANumber,
    row: 2, column: 2, message: "expected a finite number in column 'b', found \"NaN\"",
    hint: "NaN and infinite values cannot be trained on; remove or fill in the row"),
  DataCSVFault(
    description: "inf in a feature", text: "a,b,y\n-inf,1,0\n", kind: .notANumber,
    row: 2, column: 1, message: "expected a finite number in column 'a', found \"-inf\"",
    hint: "NaN and infinite values cannot be trained on; remove or fill in the row"),
  DataCSVFault(
    description: "text in a target", text: "a,t\n1,2\n3,high\n", label: nil, targets: ["t"],
    kind: .notANumber, row: 3, column: 2,
    message: "expected a number in column 't', found \"high\""),
  DataCSVFault(
    description: "row after a quoted line break", text: "n,a,y\n\"two\nlines\",1,0\nok,x,1\n",
    features: ["a"], kind: .notANumber, row: 4, column: 2,
    message: "expected a number in column 'a', found \"x\""),
  DataCSVFault(
    description: "unclosed quote", text: "a,y\n1,0\n\"2,1\n", kind: .unclosedQuote, row: 3,
    column: 1, message: "the quoted field starting here is never closed"),
  DataCSVFault(
    description: "text after a closing quote", text: "a,y\n\"1\"x,0\n",
    kind: .unexpectedCharacter, row: 2, column: 1,
    message: "expected a comma or the end of the line after the closing quote, found 'x'"),
  DataCSVFault(
    description: "misspelt label", text: "a,species\n1,x\n", label: "specie",
    kind: .missingColumn, row: 1, column: nil,
    message: "the label column 'specie' is not in the header; the columns are 'a', 'species'",
    hint: "did you mean 'species'?"),
  DataCSVFault(
    description: "missing feature", text: "a,b,y\n1,2,x\n", features: ["a", "zzz"],
    kind: .missingColumn, row: 1, column: nil,
    message: "the feature column 'zzz' is not in the header; the columns are 'a', 'b', 'y'"),
  DataCSVFault(
    description: "missing target", text: "a,b\n1,2\n", label: nil, targets: ["B "],
    kind: .missingColumn, row: 1, column: nil,
    message: "the target column 'B ' is not in the header; the columns are 'a', 'b'",
    hint: "did you mean 'b'?"),
  DataCSVFault(
    description: "neither label nor targets", text: "a,b\n1,2\n", label: nil,
    kind: .invalidSpec, row: nil, column: nil,
    message: "the spec names neither a label column nor target columns for this CSV file",
    hint: "set 'data.label' to the class column (classification) or 'data.targets' "
      + "to the columns to predict (regression)"),
  DataCSVFault(
    description: "label among the features", text: "a,y\n1,2\n", features: ["a", "y"],
    kind: .invalidSpec, row: nil, column: nil,
    message: "column 'y' is both a feature and the label", hint: "remove it from 'data.features'"),
  DataCSVFault(
    description: "duplicate column name", text: "a,b,a,y\n1,2,3,4\n", kind: .invalidHeader,
    row: 1, column: 3,
    message: "column name 'a' appears twice in the header, as columns 1 and 3"),
  DataCSVFault(
    description: "unnamed column", text: ",a,y\n0,1,2\n", kind: .invalidHeader, row: 1,
    column: 1, message: "column 1 has no name in the header row",
    hint: "every column needs a name, even one the spec does not use"),
  DataCSVFault(
    description: "no data rows", text: "a,y\n\n", kind: .noExamples, row: 1, column: nil,
    message: "the file has a header row but no data rows"),
  DataCSVFault(
    description: "only blank lines", text: "\n \r\n\n", kind: .missingHeader, row: nil,
    column: nil, message: "the file has no header row, only blank lines",
    hint: "the first row must name the columns"),
  DataCSVFault(
    description: "no features left", text: "y\n1\n", kind: .invalidSpec, row: 1, column: nil,
    message: "no feature columns are left once the label and targets are set aside",
    hint: "the file needs at least one numeric column to predict from"),
]

@Test(arguments: dataCSVFaults)
func csvFaultsPointAtRowAndColumn(_ fault: DataCSVFault) throws {
  let path = try dataScratchFile("fault.csv", fault.text)
  let data = DataSpec(
    train: .csv(path: path), label: fault.label, targets: fault.targets,
    features: fault.features)
  let error = #expect(throws: DataError.self) { try DataProbe.shape(of: data) }
  #expect(error?.kind == fault.kind)
  #expect(error?.file == path)
  #expect(error?.row == fault.row)
  #expect(error?.column == fault.column)
  #expect(error?.message == fault.message)
  if let hint = fault.hint { #expect(error?.hint == hint) }
}

@Test func csvErrorDescriptionNamesFileRowAndColumn() throws {
  let path = try dataScratchFile("iris.csv", "sepal_length,species\n5.1,setosa\nabc,setosa\n")
  let data = DataSpec(train: .csv(path: path), label: "species")
  let error = #expect(throws: DataError.self) { try DataProbe.shape(of: data) }
  #expect(
    error?.description
      == "\(path):3:1: error: expected a number in column 'sepal_length', found \"abc\"")
}
