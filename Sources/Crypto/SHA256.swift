import COpenSSL

/// SHA-256 digests (migration checksums, backup integrity, token hashing).
public enum SHA256 {
    public static func digest(_ data: [UInt8]) -> [UInt8] { evpDigest(data, EVP_sha256(), length: 32) }

    public static func hex(_ data: [UInt8]) -> String { Hex.encode(digest(data)) }
}

/// SHA-1, only where a protocol names it (Redis script ids); never for security.
public enum SHA1 {
    public static func digest(_ data: [UInt8]) -> [UInt8] { evpDigest(data, EVP_sha1(), length: 20) }
}

/// SHA-256 over data that arrives in pieces (uploads, backup streams), in constant memory.
public final class SHA256Hasher {
    private let context: OpaquePointer

    public init() {
        context = EVP_MD_CTX_new()
        precondition(EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1, "EVP_DigestInit_ex(SHA-256) failed")
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ data: [UInt8]) {
        guard !data.isEmpty else { return }
        _ = data.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
    }

    /// The digest of everything given so far; the hasher must not be updated afterwards.
    public func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        _ = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &len) }
        return out
    }
}

/// A one-shot EVP digest; a failure means OpenSSL itself is broken.
func evpDigest(_ data: [UInt8], _ md: OpaquePointer?, length: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: length)
    var len: UInt32 = 0
    let ok = data.withUnsafeBytes { d in
        out.withUnsafeMutableBufferPointer { o in EVP_Digest(d.baseAddress, d.count, o.baseAddress, &len, md, nil) }
    }
    precondition(ok == 1 && Int(len) == length, "EVP_Digest failed")
    return out
}
