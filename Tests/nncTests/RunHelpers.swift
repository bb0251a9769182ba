import Foundation
import TestSupport
import Testing

// Helpers for the run, resume, predict and evaluate tests.

/// The bytes of `path`.
func contents(_ path: String) throws -> Data {
  try Data(contentsOf: URL(fileURLWithPath: path))
}

/// `path` read as a JSON object.
func jsonObject(_ path: String) throws -> [String: Any] {
  let object = try JSONSerialization.jsonObject(with: contents(path))
  return try #require(object as? [String: Any], "\(path) is not a JSON object")
}

/// A CSV file's rows as fields (no quoting: nnc's test files have none).
func csvRows(_ path: String) throws -> [[String]] {
  try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
    .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
}

/// Trains `spec` into a new temporary folder and returns the folder.
func trainedRun(_ spec: String, _ extra: [String] = []) throws -> String {
  let folder = try temporaryDirectory() + "/run"
  let run = try nnc(["run", spec, "--output", folder, "--quiet"] + extra)
  #expect(run.status == 0, "\(run.stderr)")
  return folder
}

/// Writes `text` to a new temporary folder's spec.yaml and returns its path;
/// `DATA/` in the text becomes the folder of the shipped CSV files.
func temporarySpec(_ text: String) throws -> String {
  let path = try temporaryDirectory() + "/spec.yaml"
  try text.replacingOccurrences(of: "DATA/", with: repositoryPath("specs/data") + "/")
    .write(toFile: path, atomically: true, encoding: .utf8)
  return path
}

/// The files whose bytes must not change between two runs of one spec.
let recordedFiles = [
  "metrics.json", "history.csv", "weights.safetensors", "curves.svg", "run.json",
]

/// metrics.json of a run, parsed.
func metrics(in folder: String) throws -> [String: Any] {
  let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/metrics.json"))
  return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}
