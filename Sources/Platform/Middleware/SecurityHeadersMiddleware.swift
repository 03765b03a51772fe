import HTTPServer

/// Headers that make responses safe by default for a JSON API: no sniffing, no framing, no
/// referrer leaks, no caching unless a handler opts in, and HSTS when configured.
public struct SecurityHeadersMiddleware: Middleware {
    let defaults: [(String, String)]
    /// The defaults serialized once: the common case (a handler set none of them) costs one
    /// append instead of a field-by-field copy.
    let block: HeaderBlock

    public init(hstsMaxAge: Int) {
        var d = [("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                 ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
                 ("Referrer-Policy", "no-referrer"), ("Cross-Origin-Resource-Policy", "same-origin"),
                 ("Cache-Control", "no-store")]
        if hstsMaxAge > 0 { d.append(("Strict-Transport-Security", "max-age=\(hstsMaxAge); includeSubDomains")) }
        defaults = d
        block = HeaderBlock(d)
    }

    public func handle(_ request: Request, _ context: RequestContext, next: Responder) throws -> Response {
        var response = try next(request, context)
        apply(to: &response)
        return response
    }

    /// A handler's own value (say, a Cache-Control that allows caching) wins.
    func apply(to response: inout Response) {
        if response.headers.containsAnyName(of: block) || response.headers.block != nil {
            response.headers.addMissing(defaults)
        } else {
            response.headers.add(block: block)
        }
    }
}
