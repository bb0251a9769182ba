import Foundation
import Planner

/// The safetensors format: an 8-byte little-endian header length, a JSON
/// header naming each tensor's dtype, shape and byte range, then the raw
/// little-endian tensor bytes. nnc writes one tensor per parameter block
/// (`layers.L.weight` shaped [inputs, outputs], `layers.L.bias` [outputs]),
/// in the parameter vector's order, so the data section is θ itself.
public enum Safetensors {
  /// The file bytes for `parameters` laid out as `layout`, with string metadata.
  public static func encode<S: Scalar>(
    _ parameters: UnsafeBufferPointer<S>, layout: ParameterLayout, metadata: [String: String]
  ) -> Data {
    precondition(parameters.count == layout.count, "θ has \(parameters.count) of \(layout.count)")
    let size = MemoryLayout<S>.size
    var header: [String: JSONValue] = [:]
    if !metadata.isEmpty {
      header["__metadata__"] = .object(metadata.mapValues { .string($0) })
    }
    for block in layout.blocks {
      header[block.name] = .object([
        "dtype": .string(S.safetensorsType),
        "shape": .array(block.shape.map { .integer($0) }),
        "data_offsets": .array([
          .integer(block.offset * size), .integer((block.offset + block.count) * size),
        ]),
      ])
    }
    var json = Array(JSONValue.object(header).compact().utf8)
    // Pad the header with spaces so the tensor data starts 8-byte aligned.
    while json.count % 8 != 0 { json.append(0x20) }
    var data = Data(capacity: 8 + json.count + parameters.count * size)
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: json)
    data.append(
      UnsafeBufferPointer(
        start: UnsafeRawPointer(parameters.baseAddress!)
          .assumingMemoryBound(to: UInt8.self), count: parameters.count * size))
    return data
  }
}

/// Writes `data` to `path` through a temporary file in the same folder and a
/// rename, so a reader never sees a half-written file, whatever happens.
/// A symbolic link is followed, so the file it points to is replaced and the
/// link kept; a path that exists and is not a regular file (a device such as
/// /dev/stdout, a pipe) is written to in place, since renaming over it would
/// replace the device itself.
public func writeAtomically(_ data: Data, to path: String) throws {
  let target = URL(fileURLWithPath: path).resolvingSymlinksInPath()
  var status = stat()
  if stat(target.path, &status) == 0, status.st_mode & S_IFMT != S_IFREG,
    status.st_mode & S_IFMT != S_IFDIR
  {
    let handle = try FileHandle(forWritingTo: target)
    defer { try? handle.close() }
    try handle.write(contentsOf: data)
    return
  }
  try data.write(to: target, options: .atomic)
}

/// A tensor read from a safetensors file, widened to Double.
public struct Tensor: Sendable, Equatable {
  public var shape: [Int]
  public var values: [Double]
}

/// A weights file that cannot be read or does not fit the model.
public struct WeightsError: Error, Sendable, Equatable, CustomStringConvertible {
  public var file: String
  public var message: String
  public var description: String { "\(file): error: \(message)" }
}

extension Safetensors {
  /// Where one tensor's bytes are, as a safetensors header says.
  public struct Entry: Sendable, Equatable {
    public var dtype: String
    public var shape: [Int]
    /// The tensor's bytes, as indices into the file's bytes.
    public var bytes: Range<Int>
  }

  /// Bytes per element of the dtypes nnc writes and reads.
  public static func elementWidth(of dtype: String) -> Int? {
    switch dtype {
    case "F64": 8
    case "F32", "I32": 4
    default: nil
    }
  }

  /// The header of a safetensors file: every tensor's entry and the string
  /// metadata. Every size and offset is checked against the file, so a
  /// truncated or foreign file is an error here, never a trap later.
  public static func entries(_ bytes: Data, file: String) throws(WeightsError)
    -> (entries: [String: Entry], metadata: [String: String])
  {
    func fail(_ message: String) -> WeightsError { WeightsError(file: file, message: message) }
    let bytes = Data(bytes)  // indices from 0
    guard bytes.count >= 8 else { throw fail("too short for a safetensors file") }
    var headerLength: UInt64 = 0
    for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
    guard headerLength <= UInt64(bytes.count - 8) else {
      throw fail("its header claims \(headerLength) bytes but the file has \(bytes.count - 8)")
    }
    let dataStart = 8 + Int(headerLength)
    // JSONSerialization suffices here: the header holds integers and strings.
    guard
      let header = try? JSONSerialization.jsonObject(with: bytes[8..<dataStart])
        as? [String: Any]
    else { throw fail("its header is not a JSON object") }

    var entries: [String: Entry] = [:]
    var metadata: [String: String] = [:]
    for (name, entry) in header {
      if name == "__metadata__" {
        guard let strings = entry as? [String: String] else {
          throw fail("__metadata__ must map strings to strings")
        }
        metadata = strings
        continue
      }
      guard let entry = entry as? [String: Any], let dtype = entry["dtype"] as? String,
        let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int],
        offsets.count == 2
      else { throw fail("tensor '\(name)' lacks dtype, shape or data_offsets") }
      guard let width = elementWidth(of: dtype) else {
        throw fail("tensor '\(name)' has dtype \(dtype); nnc reads F32, F64 and I32")
      }
      // The element count is formed with overflow checks: the shape is input.
      var count = 1
      for dimension in shape {
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        guard dimension >= 0, !overflow, product <= bytes.count else {
          throw fail("tensor '\(name)' has an invalid shape \(shape)")
        }
        count = product
      }
      let (begin, end) = (offsets[0], offsets[1])
      guard begin >= 0, end >= begin, end - begin == count * width,
        end <= bytes.count - dataStart
      else {
        throw fail(
          "tensor '\(name)' has data_offsets \(offsets) that do not fit its shape or the file")
      }
      entries[name] = Entry(
        dtype: dtype, shape: shape, bytes: (dataStart + begin)..<(dataStart + end))
    }
    return (entries, metadata)
  }

  /// The floating-point tensors and string metadata of a safetensors file,
  /// widened to Double.
  public static func decode(_ bytes: Data, file: String) throws(WeightsError)
    -> (tensors: [String: Tensor], metadata: [String: String])
  {
    let bytes = Data(bytes)  // indices from 0, as the entries count them
    let (entries, metadata) = try entries(bytes, file: file)
    var tensors: [String: Tensor] = [:]
    for (name, entry) in entries {
      let values: [Double]
      switch entry.dtype {
      case "F32": values = elements(of: bytes[entry.bytes], as: Float.self).map(Double.init)
      case "F64": values = elements(of: bytes[entry.bytes], as: Double.self)
      default:
        throw WeightsError(
          file: file, message: "tensor '\(name)' has dtype \(entry.dtype); weights are F32 or F64")
      }
      tensors[name] = Tensor(shape: entry.shape, values: values)
    }
    return (tensors, metadata)
  }

  /// The little-endian elements of `data`, which holds whole elements.
  public static func elements<T>(of data: Data, as _: T.Type) -> [T] {
    let count = data.count / MemoryLayout<T>.size
    return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      _ = data.copyBytes(to: buffer)
      initialized = count
    }
  }

  /// Reads `path` into θ, checking every block of `layout` is present with
  /// its shape; names every difference.
  public static func load<S: Scalar>(
    _ path: String, into parameters: UnsafeMutableBufferPointer<S>, layout: ParameterLayout
  ) throws(WeightsError) -> [String: String] {
    let bytes: Data
    do {
      bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw WeightsError(file: path, message: "cannot read: \(error.localizedDescription)")
    }
    let (tensors, metadata) = try decode(bytes, file: path)
    var differences: [String] = []
    for block in layout.blocks {
      guard let tensor = tensors[block.name] else {
        differences.append("\(block.name) \(block.shape) is missing")
        continue
      }
      guard tensor.shape == block.shape else {
        differences.append(
          "\(block.name) is \(tensor.shape) in the file, \(block.shape) in the spec")
        continue
      }
      for i in 0..<block.count { parameters[block.offset + i] = S(tensor.values[i]) }
    }
    let expected = Set(layout.blocks.map(\.name))
    for name in tensors.keys.sorted() where !expected.contains(name) {
      differences.append("\(name) is in the file but not in the spec")
    }
    guard differences.isEmpty else {
      throw WeightsError(
        file: path,
        message: "the weights do not match the spec: " + differences.joined(separator: "; "))
    }
    return metadata
  }
}
