import HTTPServer
import Crypto

/// Keeps a well-formed incoming X-Request-ID (1-128 chars of [A-Za-z0-9._:-]) or generates a
/// random one; echoes it on the response and attaches it to every log line of the request. The
/// response also names the request's span of its W3C trace (`traceparent`, see TraceContext).
public struct RequestIDMiddleware: Middleware {
    public init() {}

    public func handle(_ request: Request, _ context: RequestContext, next: Responder) throws -> Response {
        var response = try next(request, context)
        // Written from the ids' numbers, without making their strings.
        switch context.requestIDSource {
        case .incoming(let id): response.headers.set("X-Request-ID", id)
        case .generated(let words):
            response.headers.set("X-Request-ID", length: IdentifierSource.uuidLength) { IdentifierSource.writeUUID(words, into: $0) }
        }
        let trace = context.trace
        response.headers.set("traceparent", length: TraceContext.traceparentLength) { trace.writeTraceparent(into: $0) }
        if let state = trace.traceState { response.headers.set("tracestate", state) }
        return response
    }

    /// The id for a request: the client's when acceptable, else a new one.
    static func requestID(for request: Request) -> RequestContext.RequestIDSource {
        if let incoming = request.header("X-Request-ID"), isWellFormed(incoming) { return .incoming(incoming) }
        return .generated(IdentifierSource.uuidWords())
    }

    static func isWellFormed(_ id: String) -> Bool {
        let u = id.utf8
        guard (1...128).contains(u.count) else { return false }
        return u.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: ":")
        }
    }
}
