import HTTPServer
import Postgres
import Logging

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
        if let db = error as? PostgresError {
            let mapped = AppError.from(db)
            // Full detail (SQLSTATE, constraint, statement) for operators; never for clients.
            let level: Logger.Level = mapped.status.code >= 500 ? .error : .notice
            context.logger.log(level: level, "database error", metadata: ["error": .string(db.debugDescription)])
            return Envelope.error(mapped, requestID: context.requestID)
        }
        if let body = error as? RequestBodyError {
            // A streamed body that could not be read to its end; the connection closes after.
            let mapped: AppError = switch body {
            case .tooLarge: AppError(.payloadTooLarge, body.description)
            case .malformed(let e): AppError.from(.malformed(e))
            case .incomplete: AppError(.malformedRequest, body.description)
            }
            return Envelope.error(mapped, requestID: context.requestID)
        }
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
