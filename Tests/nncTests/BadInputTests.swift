import Foundation
import TestSupport
import Testing

// The bad-input catalogue: nnc run on each folder of BadInputs/ (a spec and its
// data, written by BadInputs/make_inputs.py), run from inside that folder so
// messages name the files as the spec does. Every expected row and column is
// counted by hand from the generator: header on line 1, base rows from line 2.

/// One case: the exit code nnc must return and fragments its stderr must hold.
struct BadInput: Sendable, CustomStringConvertible {
  var name: String
  var status: Int32
  var messages: [String]

  init(_ name: String, exit status: Int32, _ messages: String...) {
    self.name = name
    self.status = status
    self.messages = messages
  }

  var description: String { name }
  var folder: String { repositoryPath("Tests/nncTests/BadInputs/\(name)") }
}

let badInputs: [BadInput] = [
  // MARK: CSV shape
  BadInput(
    "csv-too-many-fields", exit: 3,
    "train.csv:4:4: error: too many fields: expected 3 as in the header, found 4",
    "hint: a field that contains a comma must be in double quotes"),
  BadInput(
    "csv-too-few-fields", exit: 3,
    "train.csv:6:3: error: too few fields: expected 3 as in the header, found 2; "
      + "column 'species' is missing"),
  BadInput(
    "csv-header-looks-like-data", exit: 3,
    "train.csv:1: error: the first row looks like data; a header row naming the columns is "
      + "required"),
  BadInput(
    "csv-no-header-row", exit: 3,
    "train.csv:1: error: the label column 'species' is not in the header; the columns are "
      + "'0.0', '0.1', 'setosa'",
    "does the file lack a header row?"),
  BadInput(
    "csv-repeated-header", exit: 3,
    "train.csv:7:1: error: expected a number in column 'a', found \"a\"",
    "this row repeats the header"),
  BadInput(
    "csv-unclosed-quote", exit: 3,
    "train.csv:8:2: error: the quoted field starting here is never closed"),
  BadInput(
    "csv-duplicate-column", exit: 3,
    "train.csv:1:2: error: column name 'a' appears twice in the header, as columns 1 and 2"),
  BadInput(
    "csv-only-header", exit: 3, "train.csv:1: error: the file has a header row but no data rows"),
  BadInput("csv-empty-file", exit: 3, "train.csv: error: the file is empty"),

  // MARK: CSV values
  BadInput(
    "csv-empty-value", exit: 3,
    "train.csv:4:2: error: missing value in column 'b': expected a number, found an empty field",
    "set 'data.missing: drop'"),
  BadInput(
    "csv-na-value", exit: 3,
    "train.csv:8:1: error: missing value in column 'a': expected a number, found \"NA\""),
  BadInput(
    "csv-nan-value", exit: 3,
    "train.csv:5:2: error: expected a finite number in column 'b', found \"NaN\"",
    "NaN and infinite values cannot be trained on"),
  BadInput(
    "csv-inf-value", exit: 3,
    "train.csv:9:1: error: expected a finite number in column 'a', found \"-inf\""),
  BadInput(
    "csv-text-in-number", exit: 3,
    "train.csv:3:2: error: expected a number in column 'b', found \"low\""),
  BadInput(
    "csv-hex-number", exit: 3,
    "train.csv:3:1: error: expected a number in column 'a', found \"0x10\""),
  BadInput(
    "csv-decimal-comma", exit: 3,
    "train.csv:6:1: error: expected a number in column 'a', found \"2,2\"",
    "write numbers with a decimal point"),
  BadInput(
    "csv-missing-label", exit: 3,
    "train.csv:10:3: error: missing value in column 'species': expected a label, "
      + "found an empty field"),
  BadInput(
    "csv-beyond-float32", exit: 3,
    "train.csv:4:1: error: the value 1e+39 in column 'a' becomes inf in float32",
    "use precision: float64"),
  BadInput(
    "csv-all-rows-missing-drop", exit: 3,
    "train.csv: error: every one of the 9 data rows has a missing value"),

  // MARK: CSV labels
  BadInput(
    "csv-more-classes-than-units", exit: 1,
    "error: the softmax output has 2 units but the data has 3 classes "
      + "(setosa, versicolor, virginica)"),
  BadInput(
    "csv-unseen-test-class", exit: 3,
    "test.csv:4:3: error: label \"virginica\" in column 'species' does not occur in the "
      + "training data"),

  // MARK: Files
  BadInput("csv-missing-file", exit: 3, "train.csv: error: no such file"),
  BadInput(
    "csv-directory", exit: 3, "train.csv: error: the path is a directory, not a data file"),
  BadInput("idx-empty-file", exit: 3, "train-labels.idx: error: the file is empty"),
  BadInput(
    "idx-directory", exit: 3,
    "train-images.idx: error: the path is a directory, not a data file"),

  // MARK: IDX
  BadInput(
    "idx-truncated", exit: 3,
    "train-images.idx: record 2: error: the file ends inside images record 2 of 4: the header "
      + "promises 32 bytes, the file has 25"),
  // Found by fuzzing: the probe built a name for each promised pixel first.
  BadInput(
    "idx-header-promises-too-much", exit: 3,
    "train-images.idx: record 0: error: the file ends inside images record 0 of 4: the "
      + "header promises 44021578169434592 bytes, the file has 24"),
  BadInput(
    "idx-truncated-gzip", exit: 3,
    "train-images.idx.gz: record 3: error: the gzip data ends early, inside images record 3 of 4",
    "cut off while downloading"),
  BadInput(
    "idx-corrupt-gzip", exit: 3, "train-images.idx.gz: error: corrupt gzip data at compressed byte"
  ),
  BadInput(
    "idx-wrong-magic", exit: 3,
    "train-images.idx: error: expected the IDX images magic number 0x00000803 (unsigned bytes, "
      + "3 dimensions), found 0x00000802"),
  BadInput(
    "idx-not-idx", exit: 3, "found 0x50350A32", "this does not look like an IDX file at all"),
  BadInput(
    "idx-swapped", exit: 3,
    "train-labels.idx: error: expected the IDX images magic number 0x00000803",
    "are 'images' and 'labels' swapped in the spec?"),
  BadInput(
    "idx-count-mismatch", exit: 3,
    "train-images.idx: error: the images file 'train-images.idx' holds 4 images but the labels "
      + "file 'train-labels.idx' holds 3 labels"),
  BadInput(
    "idx-trailing-bytes", exit: 3,
    "train-images.idx: error: 3 unexpected bytes after the last of 4 images records"),
  BadInput(
    "idx-float-pixels", exit: 3,
    "train-images.idx: error: the images are stored as 32-bit floats (IDX type 0x0D)"),
  BadInput(
    "idx-labels-from-one", exit: 3,
    "train-labels.idx: error: the labels run from 1 to 3, so class 0 has no training example",
    "subtract 1 from every label"),
  BadInput(
    "idx-unseen-test-class", exit: 3,
    "test-labels.idx: record 1: error: label 3 is not one of the 3 classes 0…2"),

  // MARK: Specs as people edit them
  BadInput(
    "spec-tab-indentation", exit: 1,
    "spec.yaml:7:1: error: tabs are not allowed for indentation"),
  BadInput(
    "spec-misspelt-key", exit: 1, "unknown key 'epoch' in training", "did you mean 'epochs'?"),
  BadInput(
    "spec-not-utf8", exit: 1, "spec.yaml:2:10: error: the file is not valid UTF-8 (byte 0xE9)"),
  // Found by hand: the planner multiplied sizes in Int and trapped on overflow.
  BadInput(
    "spec-units-overflow", exit: 1,
    "spec.yaml:11:15: error: the plan needs more than 8.00 EiB (beyond what a 64-bit address "
      + "reaches) to train"),
  BadInput(
    "spec-unknown-missing-policy", exit: 1,
    "spec.yaml:9:12: error: unknown missing-value policy 'fill' (allowed: error, drop)"),
]

/// `nnc run spec.yaml` inside the case's folder, writing to a fresh directory.
private func run(_ folder: String, _ extra: [String] = []) throws -> (Outcome, String) {
  let output = try temporaryDirectory()
  let outcome = try nnc(["run", "spec.yaml", "--output", output, "--quiet"] + extra, in: folder)
  return (outcome, output)
}

private func number(_ metrics: [String: Any], _ set: String, _ key: String) -> Double? {
  ((metrics[set] as? [String: Any])?[key] as? NSNumber)?.doubleValue
}

@Test(arguments: badInputs)
func badInputIsReportedWithItsExitCode(_ input: BadInput) throws {
  let (outcome, output) = try run(input.folder)
  #expect(outcome.status == input.status, "\(outcome.stderr)")
  for message in input.messages {
    #expect(outcome.stderr.contains(message), "missing \"\(message)\" in:\n\(outcome.stderr)")
  }
  // Refused input leaves nothing behind that looks like a result.
  #expect(!FileManager.default.fileExists(atPath: output + "/metrics.json"))
}

@Test func theCatalogueCoversEveryFolder() throws {
  let folders = try FileManager.default.contentsOfDirectory(
    atPath: repositoryPath("Tests/nncTests/BadInputs")
  ).filter { !$0.hasSuffix(".py") }
  let runs = ["run-diverges", "run-huge-logits", "run-huge-epoch-limit"]
  let covered = Set(badInputs.map(\.name) + validOddInputs + runs)
  #expect(Set(folders) == covered)
  #expect(badInputs.count >= 30)
}

// MARK: - Valid but odd input trains exactly like plain input

/// Cases holding the same examples as csv-plain, written differently. Each
/// must train to the very same loss: a quoted, CRLF, BOM and blank-line file
/// parses to the same numbers; integer and 1-based labels order the classes
/// as the names do; a constant column standardizes to zeros, and the single
/// softmax layer starts from zero weights, so its weights get zero gradient
/// and every other sum is unchanged; `missing: drop` leaves out exactly the
/// two rows that csv-plain does not have.
let sameAsPlain = [
  "csv-quoted-crlf-blank-lines-bom", "csv-integer-labels", "csv-labels-from-one",
  "csv-constant-feature", "csv-missing-drop",
]
let validOddInputs = ["csv-plain", "idx-gzip"] + sameAsPlain

@Test func oddButValidCSVTrainsLikePlainCSV() throws {
  let (plain, plainOutput) = try run(repositoryPath("Tests/nncTests/BadInputs/csv-plain"))
  #expect(plain.status == 0, "\(plain.stderr)")
  let reference = try metrics(in: plainOutput)
  // The clusters are far apart: every example is classified correctly.
  #expect(number(reference, "train", "accuracy") == 1)
  #expect(number(reference, "test", "accuracy") == 1)
  let loss = try #require(number(reference, "train", "loss"))

  for name in sameAsPlain {
    let (outcome, output) = try run(repositoryPath("Tests/nncTests/BadInputs/\(name)"))
    #expect(outcome.status == 0, "\(name): \(outcome.stderr)")
    let odd = try metrics(in: output)
    #expect(number(odd, "train", "loss") == loss, "\(name)")
    #expect(number(odd, "test", "accuracy") == 1, "\(name)")
    #expect(number(odd, "train", "examples") == 9, "\(name)")
  }
}

@Test func droppedRowsAreReported() throws {
  let (outcome, _) = try run(repositoryPath("Tests/nncTests/BadInputs/csv-missing-drop"))
  #expect(outcome.status == 0)
  #expect(
    outcome.stderr.contains(
      "train.csv: note: left out 2 of 11 rows with a missing value (lines 4, 9)"))
}

@Test func gzipIDXTrains() throws {
  let (outcome, output) = try run(repositoryPath("Tests/nncTests/BadInputs/idx-gzip"))
  #expect(outcome.status == 0, "\(outcome.stderr)")
  #expect(number(try metrics(in: output), "train", "examples") == 4)
}

// MARK: - Runs that go wrong

@Test func divergenceStopsWithWhereAndKeepsTheLastGoodRun() throws {
  let (outcome, output) = try run(repositoryPath("Tests/nncTests/BadInputs/run-diverges"))
  #expect(outcome.status == 4, "\(outcome.stderr)")
  #expect(outcome.stderr.contains("nnc: training diverged: the loss became NaN or infinite"))
  #expect(outcome.stderr.contains("first in model.layers[1]"))
  #expect(outcome.stderr.contains("hint: lower optimizer.learning_rate"))

  let record = try metrics(in: output)
  #expect(record["stop_reason"] as? String == "diverged")
  let divergence = try #require(record["divergence"] as? [String: Any])
  let epoch = try #require(divergence["epoch"] as? Int)
  let step = try #require(divergence["step"] as? Int)
  #expect(outcome.stderr.contains("in epoch \(epoch), step \(step)"))
  // The epochs count the one that diverged; its history row and weights are not kept.
  #expect(record["epochs"] as? Int == epoch)
  let loss = try #require(number(record, "train", "loss"))
  #expect(loss.isFinite)
  let history = try String(contentsOfFile: output + "/history.csv", encoding: .utf8)
  let rows = history.split(separator: "\n").dropFirst()
  #expect(rows.count == epoch - 1)
  #expect(!history.lowercased().contains("nan") && !history.lowercased().contains("inf"))
  #expect(FileManager.default.fileExists(atPath: output + "/weights.safetensors"))
}

@Test func logitsInTheThousandsGiveFiniteLosses() throws {
  let (outcome, output) = try run(repositoryPath("Tests/nncTests/BadInputs/run-huge-logits"))
  #expect(outcome.status == 0, "\(outcome.stderr)")
  let record = try metrics(in: output)
  for set in ["train", "test"] {
    let loss = try #require(number(record, set, "loss"), "\(set)")
    #expect(loss.isFinite && loss >= 0, "\(set): \(loss)")
  }
}

/// Found by hand: the trainer reserved history for every epoch of the limit
/// up front, and a limit near Int.max asked for exabytes.
@Test func aHugeEpochLimitStopsByTolerance() throws {
  let (outcome, output) = try run(repositoryPath("Tests/nncTests/BadInputs/run-huge-epoch-limit"))
  #expect(outcome.status == 0, "\(outcome.stderr)")
  let record = try metrics(in: output)
  #expect(record["stop_reason"] as? String == "weights_converged")
  #expect(number(record, "test", "accuracy") == 1)
}

// MARK: - Every command, the same answer

/// A data fault stops every command that reads data the same way; the
/// message does not depend on the command. `gradcheck` computes in float64,
/// where a value beyond float32 fits. `validate` and `plan` place each data
/// fault at the spec value or data row to fix, and have their own tests.
@Test(arguments: ["gradcheck", "bench"])
func everyCommandReportsDataErrors(_ command: String) throws {
  let missed: Set<String> = command == "gradcheck" ? ["csv-beyond-float32"] : []
  for input in badInputs where input.status == 3 && !missed.contains(input.name) {
    let outcome = try nnc([command, "spec.yaml"], in: input.folder)
    #expect(outcome.status == 3, "\(command) \(input.name): \(outcome.stderr)")
    #expect(outcome.stderr.contains(input.messages[0]), "\(command) \(input.name)")
  }
}

// MARK: - Nothing is damaged

@Test func anOutputPathThatIsAFileIsLeftAlone() throws {
  let folder = try temporaryDirectory()
  let path = folder + "/precious.txt"
  try "keep me\n".write(toFile: path, atomically: true, encoding: .utf8)
  let outcome = try nnc(
    ["run", "spec.yaml", "--output", path, "--quiet"],
    in: repositoryPath("Tests/nncTests/BadInputs/csv-plain"))
  #expect(outcome.status == 5, "\(outcome.stderr)")
  #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me\n")
}

/// Found by hand: the spec reader read /dev/zero until memory ran out.
@Test func aSpecThatNeverEndsIsRefused() throws {
  let outcome = try nnc(["validate", "/dev/zero"])
  #expect(outcome.status == 1)
  #expect(outcome.stderr.contains("/dev/zero:1:1: error: the spec file is larger than 16 MiB"))
}

@Test func aSpecThatIsADirectoryIsRefused() throws {
  let outcome = try nnc(["run", "csv-plain"], in: repositoryPath("Tests/nncTests/BadInputs"))
  #expect(outcome.status == 1)
  #expect(outcome.stderr.contains("csv-plain:1:1: error: cannot read the spec file"))
}
