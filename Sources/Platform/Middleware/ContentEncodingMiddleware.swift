import HTTPServer
import SystemSupport

/// Request bodies are read as sent: a request that declares a Content-Encoding (gzip, br, ...)
/// other than identity gets 415 instead of having its encoded bytes taken for the content
/// (RFC 9110 15.5.16). Inside the error boundary, before authentication does any work.
public struct ContentEncodingMiddleware: Middleware {
    public init() {}

    public func handle(_ request: Request, _ context: RequestContext, next: Responder) throws -> Response {
        for value in request.headers.values("Content-Encoding") {
            for part in value.split(separator: ",") {
                let coding = String(part).trimmingWhitespace()
                guard coding.lowercased() != "identity" else { continue }
                throw AppError(.unsupportedMediaType, "Content-Encoding \(coding.prefix(40)) is not accepted; send the body as it is",
                               headers: [("Accept-Encoding", "identity")])
            }
        }
        return try next(request, context)
    }
}
