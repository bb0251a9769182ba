import CCrypto
import Foundation

/// SHA-256 digests through OpenSSL's libcrypto, for the hashes a run records
/// of its spec and data files.
public enum SHA256 {
  /// The lowercase hex digest of `data`.
  public static func hex(of data: Data) -> String {
    var digest = Digest()
    data.withUnsafeBytes { digest.update($0) }
    return digest.hex()
  }

  /// The lowercase hex digest of the file at `path`, read in 1 MiB pieces.
  public static func hex(ofFile path: String) throws -> String {
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    var digest = Digest()
    while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
      piece.withUnsafeBytes { digest.update($0) }
    }
    return digest.hex()
  }

  /// One running EVP digest; the context is freed when the digest is.
  private struct Digest: ~Copyable {
    let context: OpaquePointer

    init() {
      // EVP_MD_CTX_new fails only when memory runs out.
      guard let context = EVP_MD_CTX_new() else {
        preconditionFailure("libcrypto could not allocate a digest context")
      }
      self.context = context
      EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ bytes: UnsafeRawBufferPointer) {
      guard let base = bytes.baseAddress, bytes.count > 0 else { return }
      EVP_DigestUpdate(context, base, bytes.count)
    }

    func hex() -> String {
      var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
      var length: UInt32 = 0
      EVP_DigestFinal_ex(context, &digest, &length)
      return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
  }
}
