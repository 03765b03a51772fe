import Crypto
import Foundation

/// AWS Signature Version 4 (header form) for S3-compatible storage.
struct SigV4 {
    let accessKey: String
    let secretKey: String
    let region: String
    let service: String

    /// RFC 3986 encoding as AWS wants it (slashes kept in paths when asked).
    static func encode(_ s: String, keepSlash: Bool) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(b)))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    static func canonicalQuery(_ items: [(String, String)]) -> String {
        let encoded: [(String, String)] = items.map { (encode($0.0, keepSlash: false), encode($0.1, keepSlash: false)) }
        let sorted = encoded.sorted { a, b in a.0 == b.0 ? a.1 < b.1 : a.0 < b.0 }
        return sorted.map { p in p.0 + "=" + p.1 }.joined(separator: "&")
    }

    /// The headers to send (with Authorization) for a request; `headers` must include host.
    /// `signContentHash`: add and sign x-amz-content-sha256 (S3 requires it; other services do not).
    func sign(method: String, path: String, query: [(String, String)], headers: [(String, String)], payloadHash: String,
              date: Date, signContentHash: Bool = true) -> [(String, String)] {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let amzDate = f.string(from: date)
        let day = String(amzDate.prefix(8))
        var all = headers
        if !headers.contains(where: { $0.0.lowercased() == "x-amz-date" }) { all.append(("x-amz-date", amzDate)) }
        if signContentHash && !headers.contains(where: { $0.0.lowercased() == "x-amz-content-sha256" }) { all.append(("x-amz-content-sha256", payloadHash)) }
        let canonicalHeaders = all.map { ($0.0.lowercased(), $0.1.trimmingCharacters(in: .whitespaces)) }.sorted { $0.0 < $1.0 }
        let signed = canonicalHeaders.map(\.0).joined(separator: ";")
        let canonical = [method, Self.encode(path, keepSlash: true), Self.canonicalQuery(query),
                         canonicalHeaders.map { "\($0.0):\($0.1)\n" }.joined(), signed, payloadHash].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(SHA256.hex(Array(canonical.utf8)))"
        var key = HMAC.sha256(key: Array("AWS4\(secretKey)".utf8), data: Array(day.utf8))
        for part in [region, service, "aws4_request"] { key = HMAC.sha256(key: key, data: Array(part.utf8)) }
        let signature = Hex.encode(HMAC.sha256(key: key, data: Array(toSign.utf8)))
        return all + [("Authorization", "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope), SignedHeaders=\(signed), Signature=\(signature)")]
    }
}
