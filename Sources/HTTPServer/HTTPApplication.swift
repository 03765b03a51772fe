/// What the server needs from the application above it. The server knows nothing else of it.
public protocol HTTPApplication: Sendable {
    /// Called on the event-loop thread as soon as a head is parsed, before the body is read:
    /// decides where the handler runs and how large a body the route accepts. Must be cheap.
    func plan(for request: Request) -> RoutePlan

    /// Produces the response. Never throws: the application owns its error boundary.
    /// Runs on the event loop when the plan says inline, otherwise on a worker thread.
    func respond(to request: Request) -> Response

    /// The response for a request the server itself refuses (malformed, too large, timed out,
    /// overloaded). `request` is present when the head was parsed.
    func rejection(_ reason: ServerRejection, request: Request?) -> Response
}

/// Why the server answered without running a handler.
public enum ServerRejection: Sendable, Equatable {
    case malformed(HTTPParseError)
    /// The worker queue is full.
    case overloaded
    /// Too many open connections.
    case tooManyConnections
    /// The server is shutting down and will not start this request.
    case shuttingDown

    public var status: HTTPStatus {
        switch self {
        case .malformed(let e): e.status
        case .overloaded, .tooManyConnections, .shuttingDown: .serviceUnavailable
        }
    }
}
