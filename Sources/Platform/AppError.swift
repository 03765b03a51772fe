import HTTPServer

/// Error codes of the envelope (ARCHITECTURE.md), plus protocol-level codes for requests the
/// HTTP layer refuses before any handler runs.
public enum ErrorCode: String, Sendable, CaseIterable {
    case validationError = "VALIDATION_ERROR"
    case malformedRequest = "MALFORMED_REQUEST"
    case unauthorized = "UNAUTHORIZED"
    case forbidden = "FORBIDDEN"
    case notFound = "NOT_FOUND"
    case methodNotAllowed = "METHOD_NOT_ALLOWED"
    case requestTimeout = "REQUEST_TIMEOUT"
    case conflict = "CONFLICT"
    case payloadTooLarge = "PAYLOAD_TOO_LARGE"
    case uriTooLong = "URI_TOO_LONG"
    case unsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
    case expectationFailed = "EXPECTATION_FAILED"
    case rateLimited = "RATE_LIMITED"
    case headersTooLarge = "HEADERS_TOO_LARGE"
    case internalError = "INTERNAL_ERROR"
    case processingError = "PROCESSING_ERROR"
    case notImplemented = "NOT_IMPLEMENTED"
    case upstreamError = "UPSTREAM_ERROR"
    case databaseUnavailable = "DATABASE_UNAVAILABLE"
    case serviceUnavailable = "SERVICE_UNAVAILABLE"
    case timeoutError = "TIMEOUT_ERROR"
    case httpVersionNotSupported = "HTTP_VERSION_NOT_SUPPORTED"

    public var status: HTTPStatus {
        switch self {
        case .validationError, .malformedRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .requestTimeout: .requestTimeout
        case .conflict: .conflict
        case .payloadTooLarge: .payloadTooLarge
        case .uriTooLong: .uriTooLong
        case .unsupportedMediaType: .unsupportedMediaType
        case .expectationFailed: .expectationFailed
        case .rateLimited: .tooManyRequests
        case .headersTooLarge: .headerFieldsTooLarge
        case .internalError, .processingError: .internalServerError
        case .notImplemented: .notImplemented
        case .upstreamError: .badGateway
        case .databaseUnavailable, .serviceUnavailable: .serviceUnavailable
        case .timeoutError: .gatewayTimeout
        case .httpVersionNotSupported: .httpVersionNotSupported
        }
    }
}

/// One problem with one input field.
public struct FieldIssue: Sendable, Equatable {
    public var field: String
    public var issue: String

    public init(field: String, issue: String) {
        self.field = field
        self.issue = issue
    }
}

/// An error meant for the client. Its message is shown as is, so it must never carry internals;
/// anything else thrown becomes a generic INTERNAL_ERROR at the error boundary.
public struct AppError: Error, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public var details: [FieldIssue]
    /// Extra response headers (Allow, Retry-After, ...).
    public var headers: [(String, String)]

    public init(_ code: ErrorCode, _ message: String, details: [FieldIssue] = [], headers: [(String, String)] = []) {
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    public var status: HTTPStatus { code.status }
    public var description: String { "\(code.rawValue): \(message)" }

    public static func validation(_ details: [FieldIssue], message: String = "Request validation failed") -> AppError {
        AppError(.validationError, message, details: details)
    }

    public static func notFound(_ message: String = "Resource not found") -> AppError { AppError(.notFound, message) }

    public static func methodNotAllowed(_ allowed: [HTTPMethod]) -> AppError {
        let allow = allowed.map(\.description).joined(separator: ", ")
        return AppError(.methodNotAllowed, "Method not allowed; allowed: \(allow)", headers: [("Allow", allow)])
    }

    /// Maps a refusal of the HTTP layer to its envelope error.
    public static func from(_ rejection: ServerRejection) -> AppError {
        switch rejection {
        case .overloaded: return AppError(.serviceUnavailable, "Server is busy; retry shortly", headers: [("Retry-After", "1")])
        case .tooManyConnections: return AppError(.serviceUnavailable, "Too many open connections; retry shortly", headers: [("Retry-After", "1")])
        case .shuttingDown: return AppError(.serviceUnavailable, "Server is shutting down")
        case .tooManyClientConnections:
            return AppError(.serviceUnavailable, "Too many open connections from this client; reuse or close some", headers: [("Retry-After", "1")])
        case .bodyBudgetExhausted:
            return AppError(.serviceUnavailable, "Server is receiving too many request bodies; retry shortly", headers: [("Retry-After", "1")])
        case .deadlineExceeded:
            return AppError(.timeoutError, "The request took too long and was cancelled")
        case .malformed(let e):
            let code: ErrorCode = switch e {
            case .badRequest: .malformedRequest
            case .uriTooLong: .uriTooLong
            case .headerFieldsTooLarge: .headersTooLarge
            case .payloadTooLarge: .payloadTooLarge
            case .notImplemented: .notImplemented
            case .versionNotSupported: .httpVersionNotSupported
            case .expectationFailed: .expectationFailed
            case .requestTimeout: .requestTimeout
            }
            return AppError(code, e.description)
        }
    }
}
