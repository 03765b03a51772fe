import HTTPServer

/// The error boundary: an `AppError` becomes its envelope; anything else becomes a generic
/// INTERNAL_ERROR carrying only the request id, while the full error goes to the log.
public struct ErrorMiddleware: Middleware {
    public init() {}

    public func handle(_ request: Request, _ context: RequestContext, next: Responder) throws -> Response {
        do {
            return try next(request, context)
        } catch {
            return Self.response(for: error, context: context)
        }
    }

    static func response(for error: any Error, context: RequestContext) -> Response {
        if let app = error as? AppError {
            if app.status.code >= 500 {
                context.logger.error("request failed", metadata: ["code": .string(app.code.rawValue), "error": .string(app.message)])
            }
            return Envelope.error(app, requestID: context.requestID)
        }
        context.logger.error("unhandled error", metadata: ["error": .string(String(reflecting: error))])
        return Envelope.error(AppError(.internalError, "An internal error occurred; quote request id \(context.requestID)"),
                              requestID: context.requestID)
    }
}
