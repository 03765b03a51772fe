import COpenSSL

/// SHA-256 digests (migration checksums, backup integrity, token hashing).
public enum SHA256 {
    public static func digest(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        let ok = data.withUnsafeBytes { d in
            out.withUnsafeMutableBufferPointer { o in EVP_Digest(d.baseAddress, d.count, o.baseAddress, &len, EVP_sha256(), nil) }
        }
        precondition(ok == 1 && len == 32, "EVP_Digest(SHA-256) failed")
        return out
    }

    public static func hex(_ data: [UInt8]) -> String { Hex.encode(digest(data)) }
}

/// SHA-1, only where a protocol names it (Redis script ids); never for security.
public enum SHA1 {
    public static func digest(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        var len: UInt32 = 0
        let ok = data.withUnsafeBytes { d in
            out.withUnsafeMutableBufferPointer { o in EVP_Digest(d.baseAddress, d.count, o.baseAddress, &len, EVP_sha1(), nil) }
        }
        precondition(ok == 1 && len == 20, "EVP_Digest(SHA-1) failed")
        return out
    }
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
