import SystemSupport
import HTTPServer

/// CORS (Fetch standard): preflights from allowed origins are answered here with the allowed
/// methods, headers and max-age; actual requests from allowed origins get Allow-Origin. A
/// disallowed origin gets no CORS headers at all (and its preflight a 403).
public struct CORSMiddleware: Middleware {
    let config: CORSConfig

    public init(config: CORSConfig) { self.config = config }

    public func handle(_ request: Request, _ context: RequestContext, next: Responder) throws -> Response {
        guard let origin = request.header("Origin") else { return try next(request, context) }
        let allowed = config.allows(origin: origin)
        let isPreflight = request.method == .OPTIONS && request.headers.contains("Access-Control-Request-Method")
        if isPreflight {
            guard allowed else {
                var denied = Envelope.error(AppError(.forbidden, "Origin not allowed"), requestID: context.requestID)
                denied.headers.add("Vary", "Origin")
                return denied
            }
            let requestedMethod = request.headers["Access-Control-Request-Method"] ?? ""
            guard config.allowedMethods.contains(requestedMethod) else {
                var denied = Envelope.error(AppError(.forbidden, "Method \(requestedMethod) not allowed by CORS"), requestID: context.requestID)
                denied.headers.add("Vary", "Origin")
                return denied
            }
            var response = Response(status: .noContent)
            addOriginHeaders(origin, to: &response)
            response.headers.add("Access-Control-Allow-Methods", config.allowedMethods.joined(separator: ", "))
            response.headers.add("Access-Control-Allow-Headers", allowedRequestHeaders(request))
            response.headers.add("Access-Control-Max-Age", String(config.maxAgeSeconds))
            response.headers.add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
            return response
        }
        var response = try next(request, context)
        if allowed {
            addOriginHeaders(origin, to: &response)
            response.headers.add("Access-Control-Expose-Headers", config.exposedHeaders.joined(separator: ", "))
        } else {
            response.headers.add("Vary", "Origin")
        }
        return response
    }

    private func addOriginHeaders(_ origin: String, to response: inout Response) {
        let wildcard = config.allowedOrigins.contains("*") && !config.allowCredentials
        response.headers.set("Access-Control-Allow-Origin", wildcard ? "*" : origin)
        if !wildcard { response.headers.add("Vary", "Origin") }
        if config.allowCredentials { response.headers.set("Access-Control-Allow-Credentials", "true") }
    }

    /// Echoes the requested headers that are on the allow list (case-insensitively).
    private func allowedRequestHeaders(_ request: Request) -> String {
        let allowedLower = Set(config.allowedHeaders.map { $0.lowercased() })
        let requested = (request.headers["Access-Control-Request-Headers"] ?? "")
            .split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
        let granted = requested.filter { allowedLower.contains($0.lowercased()) }
        return (granted.isEmpty ? config.allowedHeaders : granted).joined(separator: ", ")
    }
}
