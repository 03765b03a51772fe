import Crypto
import Platform

/// Password hashes: scrypt with a per-user random salt, in a self-describing string
///     $scrypt$ln=15,r=8,p=1$<salt, base64url>$<hash, base64url>
/// so the parameters can change (configuration) and old hashes still verify; a login with
/// an outdated hash rehashes it.
public struct PasswordHasher: Sendable, Equatable {
    public var logN: Int
    public var r: Int
    public var p: Int
    static let saltBytes = 16
    static let hashBytes = 32

    public init(logN: Int = 15, r: Int = 8, p: Int = 1) {
        self.logN = logN
        self.r = r
        self.p = p
    }

    public func hash(_ password: String) throws -> String {
        let salt = SecureRandom.bytes(Self.saltBytes)
        let key = try Scrypt.derive(password: Array(password.utf8), salt: salt, n: 1 << UInt64(logN), r: UInt64(r), p: UInt64(p),
                                    length: Self.hashBytes)
        return "$scrypt$ln=\(logN),r=\(r),p=\(p)$\(Base64URL.encode(salt))$\(Base64URL.encode(key))"
    }

    struct Parsed: Equatable {
        var logN: Int
        var r: Int
        var p: Int
        var salt: [UInt8]
        var key: [UInt8]
    }

    static func parse(_ stored: String) -> Parsed? {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt" else { return nil }
        var values: [String: Int] = [:]
        for item in parts[2].split(separator: ",") {
            let kv = item.split(separator: "=")
            guard kv.count == 2, let v = Int(kv[1]) else { return nil }
            values[String(kv[0])] = v
        }
        guard let ln = values["ln"], let r = values["r"], let p = values["p"], (1...24).contains(ln), (1...32).contains(r), (1...16).contains(p),
              let salt = Base64URL.decode(String(parts[3])), let key = Base64URL.decode(String(parts[4])), !salt.isEmpty, key.count == hashBytes else {
            return nil
        }
        return Parsed(logN: ln, r: r, p: p, salt: salt, key: key)
    }

    /// Whether `password` matches `stored` (compared in constant time). A malformed stored
    /// hash never matches.
    public func verify(_ password: String, against stored: String) -> Bool {
        guard let parsed = Self.parse(stored),
              let key = try? Scrypt.derive(password: Array(password.utf8), salt: parsed.salt, n: 1 << UInt64(parsed.logN), r: UInt64(parsed.r),
                                           p: UInt64(parsed.p), length: Self.hashBytes) else { return false }
        return ConstantTime.equals(key, parsed.key)
    }

    /// True when `stored` was made with other parameters than these (rehash on login).
    public func needsRehash(_ stored: String) -> Bool {
        guard let parsed = Self.parse(stored) else { return true }
        return parsed.logN != logN || parsed.r != r || parsed.p != p
    }

    /// Spends the same time as a real verification, for logins with an unknown email.
    public func verifyNothing(_ password: String) {
        _ = try? Scrypt.derive(password: Array(password.utf8), salt: Array(repeating: 0, count: Self.saltBytes), n: 1 << UInt64(logN),
                               r: UInt64(r), p: UInt64(p), length: Self.hashBytes)
    }
}
