import Crypto
import Foundation
import Platform

/// Access tokens: JWT (RFC 7519) signed with HMAC-SHA256 and a key id. Several keys may be
/// configured for rotation: the first signs, all verify. Verification is strict: the header's
/// alg must be exactly HS256, headers that point elsewhere for keys (jku, jwk, x5u, x5c) or
/// demand extensions (crit) are refused, the signature is compared in constant time, exp and
/// nbf are checked with a 30 s skew, iss and aud must match. Pure: the clock is a parameter.
public struct AccessTokens: Sendable {
    public struct Key: Sendable {
        public let id: String
        public let secret: [UInt8]
        /// The key id is derived from the secret, so configuration only lists secrets.
        public init(secret: [UInt8]) {
            self.secret = secret
            id = String(SHA256.hex(secret).prefix(16))
        }
    }

    public struct Claims: Sendable, Equatable {
        public var subject: String
        public var role: String
        /// The session (refresh-token family) this token belongs to.
        public var session: String
        public var issuedAt: Int
        public var notBefore: Int
        public var expires: Int
        public var id: String
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed, algorithm, forbiddenHeader(String), unknownKey, signature, expired, notYetValid, issuer, audience, claims

        public var description: String {
            switch self {
            case .malformed: "malformed token"
            case .algorithm: "algorithm not accepted"
            case .forbiddenHeader(let h): "header \(h) not accepted"
            case .unknownKey: "unknown key id"
            case .signature: "bad signature"
            case .expired: "expired"
            case .notYetValid: "not yet valid"
            case .issuer: "wrong issuer"
            case .audience: "wrong audience"
            case .claims: "missing or invalid claims"
            }
        }
    }

    public let keys: [Key]
    public let issuer: String
    public let audience: String
    public let lifetimeSeconds: Int
    public static let skewSeconds = 30

    public init(keys: [Key], issuer: String, audience: String, lifetimeSeconds: Int) {
        precondition(!keys.isEmpty, "at least one signing key")
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.lifetimeSeconds = lifetimeSeconds
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data())
    }

    /// A token for `subject` with `role` in session `session`, issued at `now` (Unix seconds).
    public func issue(subject: String, role: String, session: String, now: Int, id: String = UUID().uuidString.lowercased()) -> String {
        let key = keys[0]
        let header = Base64URL.encode(Self.json(["alg": "HS256", "typ": "JWT", "kid": key.id]))
        let claims: [String: Any] = ["sub": subject, "role": role, "sid": session, "iat": now, "nbf": now, "exp": now + lifetimeSeconds,
                                     "jti": id, "iss": issuer, "aud": audience]
        let input = header + "." + Base64URL.encode(Self.json(claims))
        return input + "." + Base64URL.encode(HMAC.sha256(key: key.secret, data: Array(input.utf8)))
    }

    public func verify(_ token: String, now: Int) -> Result<Claims, Failure> {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= 4096,
              let headerBytes = Base64URL.decode(String(parts[0])), let payloadBytes = Base64URL.decode(String(parts[1])),
              let signature = Base64URL.decode(String(parts[2])),
              let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any],
              let payload = try? JSONSerialization.jsonObject(with: Data(payloadBytes)) as? [String: Any] else { return .failure(.malformed) }
        guard header["alg"] as? String == "HS256" else { return .failure(.algorithm) }
        for forbidden in ["jku", "jwk", "x5u", "x5c", "x5t", "crit"] where header[forbidden] != nil { return .failure(.forbiddenHeader(forbidden)) }
        if let typ = header["typ"], typ as? String != "JWT" { return .failure(.malformed) }
        guard let kid = header["kid"] as? String, let key = keys.first(where: { $0.id == kid }) else { return .failure(.unknownKey) }
        let input = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard ConstantTime.equals(HMAC.sha256(key: key.secret, data: input), signature) else { return .failure(.signature) }
        guard let sub = payload["sub"] as? String, !sub.isEmpty, let role = payload["role"] as? String, let sid = payload["sid"] as? String,
              let iat = Self.integer(payload["iat"]), let nbf = Self.integer(payload["nbf"]), let exp = Self.integer(payload["exp"]),
              let jti = payload["jti"] as? String else { return .failure(.claims) }
        guard payload["iss"] as? String == issuer else { return .failure(.issuer) }
        let audienceOK: Bool
        if let a = payload["aud"] as? String { audienceOK = a == audience } else if let list = payload["aud"] as? [String] {
            audienceOK = list.contains(audience)
        } else { audienceOK = false }
        guard audienceOK else { return .failure(.audience) }
        guard now < exp + Self.skewSeconds else { return .failure(.expired) }
        guard nbf <= now + Self.skewSeconds else { return .failure(.notYetValid) }
        return .success(Claims(subject: sub, role: role, session: sid, issuedAt: iat, notBefore: nbf, expires: exp, id: jti))
    }

    /// JSON numbers arrive as NSNumber; a boolean is not a time.
    static func integer(_ value: Any?) -> Int? {
        // A JSON true arrives as an NSNumber of type "c" (char); integers as "i" or "q".
        guard let n = value as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
        let d = n.doubleValue
        guard d.isFinite, d == d.rounded(), abs(d) < 1e15 else { return nil }
        return Int(d)
    }
}
