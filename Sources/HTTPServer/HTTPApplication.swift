/// What the server needs from the application above it. The server knows nothing else of it.
public protocol HTTPApplication: Sendable {
    /// Called on the event-loop thread as soon as a head is parsed, before the body is read:
    /// decides where the handler runs and how large a body the route accepts. Must be cheap.
    func plan(for request: Request) -> RoutePlan

    /// Produces the response. Never throws: the application owns its error boundary.
    /// Runs on the event loop when the plan says inline, otherwise on a worker thread.
    func respond(to request: Request) -> Response

    /// The response for a request the server itself refuses (malformed, too large, timed out,
    /// overloaded), with what is known of the request.
    func rejection(_ reason: ServerRejection, _ refused: RefusedRequest) -> Response

    /// Whether connections from this peer address are exempt from the per-client connection
    /// cap (a trusted proxy carries many clients). Called once per accepted connection.
    func isExemptFromConnectionCap(peer: String) -> Bool

    /// The outside service admission checks ask, if any (one connection per event loop).
    var admissionService: (any AdmissionService)? { get }

    /// The check this request must pass before it runs, or nil. Called on the event loop.
    func admissionCheck(for request: Request) -> AdmissionCheck?
}

extension HTTPApplication {
    public func isExemptFromConnectionCap(peer: String) -> Bool { false }
    public var admissionService: (any AdmissionService)? { nil }
    public func admissionCheck(for request: Request) -> AdmissionCheck? { nil }
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
    /// This client already holds `maxConnectionsPerClient` connections.
    case tooManyClientConnections
    /// Incomplete request bodies already hold the whole body memory budget.
    case bodyBudgetExhausted
    /// The request's deadline passed before its handler answered.
    case deadlineExceeded

    public var status: HTTPStatus {
        switch self {
        case .malformed(let e): e.status
        case .overloaded, .tooManyConnections, .shuttingDown, .tooManyClientConnections, .bodyBudgetExhausted: .serviceUnavailable
        case .deadlineExceeded: .gatewayTimeout
        }
    }
}

/// What is known of a request the server refuses: the whole head when it parsed; otherwise
/// the peer, and the method and Origin as far as the bytes received name them (for the access
/// log, and so that a browser may read the refusal through CORS).
public struct RefusedRequest: Sendable {
    public var request: Request?
    public var peer: String
    public var method: HTTPMethod?
    public var origin: String?

    public init(request: Request?, peer: String, method: HTTPMethod? = nil, origin: String? = nil) {
        self.request = request
        self.peer = peer
        self.method = method ?? request?.method
        self.origin = origin ?? request?.headers["Origin"]
    }
}
