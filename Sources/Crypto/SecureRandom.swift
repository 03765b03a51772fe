import COpenSSL

/// Cryptographically strong random bytes from OpenSSL's DRBG (fast, in-process, thread-safe).
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { buf in
            // RAND_bytes only fails if the DRBG cannot be seeded; then nothing random is safe.
            precondition(RAND_bytes(buf.baseAddress, Int32(count)) == 1, "OpenSSL RAND_bytes failed")
        }
        return out
    }

    /// Random bytes as lowercase hex.
    public static func hex(_ count: Int) -> String { Hex.encode(bytes(count)) }
}

/// Comparisons whose time does not depend on where inputs differ (tokens, MACs).
public enum ConstantTime {
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 } }
    }

    public static func equals(_ a: String, _ b: String) -> Bool { equals(Array(a.utf8), Array(b.utf8)) }
}

public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

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
