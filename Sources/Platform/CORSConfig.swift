/// Cross-origin resource sharing settings.
public struct CORSConfig: Sendable {
    /// Exact origins ("https://app.example.com"); "*" allows any (not in production).
    public var allowedOrigins: [String] = []
    public var allowCredentials = false
    public var maxAgeSeconds = 600
    public var allowedMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    public var allowedHeaders = ["Authorization", "Content-Type", "X-Request-ID", "Idempotency-Key", "Accept", "Accept-Language"]
    public var exposedHeaders = ["X-Request-ID", "Retry-After", "RateLimit", "RateLimit-Policy", "Content-Disposition"]

    public init() {}

    public func allows(origin: String) -> Bool {
        allowedOrigins.contains("*") || allowedOrigins.contains(origin)
    }

    /// scheme://host[:port] with nothing after it.
    static func isValidOrigin(_ s: String) -> Bool {
        let rest: Substring
        if s.hasPrefix("https://") {
            rest = s.dropFirst(8)
        } else if s.hasPrefix("http://") {
            rest = s.dropFirst(7)
        } else {
            return false
        }
        let allowed: (Character) -> Bool = { c in
            c.isLetter || c.isNumber || c == "." || c == "-" || c == ":" || c == "[" || c == "]"
        }
        return !rest.isEmpty && rest.allSatisfy(allowed)
    }
}
