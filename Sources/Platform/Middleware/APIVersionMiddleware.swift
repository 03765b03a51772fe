import HTTPServer

/// Names the API version on every /api/v1 response (`API-Version: 1`), and announces a
/// deprecated route: `Deprecation` (RFC 9745, the date it was deprecated), `Sunset` (RFC 8594,
/// when it stops working) and a `Link` to its successor (rel="successor-version").
public struct APIVersionMiddleware: Middleware {
    public init() {}

    public func handle(_ request: Request, _ context: RequestContext, next: Responder) throws -> Response {
        var response = try next(request, context)
        if context.route.utf8.starts(with: Self.v1Prefix) || request.rawPath.starts(with: Self.v1Prefix) {
            response.headers.set("API-Version", "1")
        }
        if context.isDeprecated, case .found(let route, _, _) = context.match, let d = route.options.deprecation {
            response.headers.set("Deprecation", "@\(d.deprecatedAt)")
            if let sunset = d.sunsetAt { response.headers.set("Sunset", HTTPDate.format(sunset)) }
            if let successor = d.successor { response.headers.add("Link", "<\(successor)>; rel=\"successor-version\"") }
        }
        return response
    }

    private static let v1Prefix = Array("/api/v1/".utf8)
}

/// A route that is on its way out.
public struct Deprecation: Sendable {
    /// When it was deprecated (Unix seconds).
    public var deprecatedAt: Int
    /// When it stops working (Unix seconds), if decided.
    public var sunsetAt: Int?
    /// The path of the route that replaces it.
    public var successor: String?

    public init(deprecatedAt: Int, sunsetAt: Int? = nil, successor: String? = nil) {
        self.deprecatedAt = deprecatedAt
        self.sunsetAt = sunsetAt
        self.successor = successor
    }
}
