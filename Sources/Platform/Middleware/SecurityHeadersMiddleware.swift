import HTTPServer

/// Headers that make responses safe by default for a JSON API: no sniffing, no framing, no
/// referrer leaks, no caching unless a handler opts in, and HSTS when configured.
public struct SecurityHeadersMiddleware: Middleware {
    let hstsMaxAge: Int

    public init(hstsMaxAge: Int) { self.hstsMaxAge = hstsMaxAge }

    public func handle(_ request: Request, _ context: RequestContext, next: Responder) throws -> Response {
        var response = try next(request, context)
        apply(to: &response)
        return response
    }

    func apply(to response: inout Response) {
        response.headers.setIfAbsent("X-Content-Type-Options", "nosniff")
        response.headers.setIfAbsent("X-Frame-Options", "DENY")
        response.headers.setIfAbsent("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
        response.headers.setIfAbsent("Referrer-Policy", "no-referrer")
        response.headers.setIfAbsent("Cross-Origin-Resource-Policy", "same-origin")
        response.headers.setIfAbsent("Cache-Control", "no-store")
        if hstsMaxAge > 0 { response.headers.setIfAbsent("Strict-Transport-Security", "max-age=\(hstsMaxAge); includeSubDomains") }
    }
}
