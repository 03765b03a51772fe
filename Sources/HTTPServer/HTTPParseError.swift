/// Why a request could not be framed or accepted. Each case has its own status, like nginx's
/// parser result codes; after any of them the connection is answered and closed.
public enum HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case badRequest(String)
    case uriTooLong
    case headerFieldsTooLarge(String)
    case payloadTooLarge(limit: Int)
    case notImplemented(String)
    case versionNotSupported
    case expectationFailed
    case requestTimeout

    public var status: HTTPStatus {
        switch self {
        case .badRequest: .badRequest
        case .uriTooLong: .uriTooLong
        case .headerFieldsTooLarge: .headerFieldsTooLarge
        case .payloadTooLarge: .payloadTooLarge
        case .notImplemented: .notImplemented
        case .versionNotSupported: .httpVersionNotSupported
        case .expectationFailed: .expectationFailed
        case .requestTimeout: .requestTimeout
        }
    }

    /// A message safe to show a client.
    public var description: String {
        switch self {
        case .badRequest(let why): "Malformed request: \(why)"
        case .uriTooLong: "Request line too long"
        case .headerFieldsTooLarge(let why): "Request header fields too large: \(why)"
        case .payloadTooLarge(let limit): "Request body exceeds the limit of \(limit) bytes"
        case .notImplemented(let what): "Not implemented: \(what)"
        case .versionNotSupported: "HTTP version not supported; use HTTP/1.1 or HTTP/1.0"
        case .expectationFailed: "Only the expectation 100-continue is supported"
        case .requestTimeout: "Request not received in time"
        }
    }
}
