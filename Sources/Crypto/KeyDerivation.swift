import COpenSSL

/// HMAC-SHA256 (JWT HS256 signatures, S3 request signing).
public enum HMAC {
    public static func sha256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        let ok = key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                out.withUnsafeMutableBufferPointer { o in
                    COpenSSL.HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count,
                                  o.baseAddress, &len)
                }
            }
        }
        precondition(ok != nil && len == 32, "HMAC-SHA256 failed")
        return out
    }
}

/// scrypt (RFC 7914) through OpenSSL: the password hash.
public enum Scrypt {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `n` must be a power of two; memory use is 128 * n * r bytes.
    public static func derive(password: [UInt8], salt: [UInt8], n: UInt64, r: UInt64, p: UInt64, length: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        // OpenSSL refuses parameters needing more than maxmem; allow what they need plus slack.
        let maxmem = UInt64(128) * n * r * 2 + 16 << 20
        let ok = password.withUnsafeBytes { pw in
            salt.withUnsafeBytes { s in
                out.withUnsafeMutableBufferPointer { o in
                    EVP_PBE_scrypt(pw.baseAddress?.assumingMemoryBound(to: CChar.self), pw.count, s.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                   s.count, n, r, p, maxmem, o.baseAddress, length)
                }
            }
        }
        guard ok == 1 else { throw Failure(description: "scrypt failed (N=\(n), r=\(r), p=\(p))") }
        return out
    }
}
