import FoundationEssentials
import Glibc
import SystemSupport
import HTTPServer
import Logging

/// Per-request state shared along the middleware chain. Created and used on one thread.
public final class RequestContext {
    /// The client's X-Request-ID when well-formed, else a random UUID; every log line of the
    /// request carries it. Made on first use: most responses carry it only as a header, which
    /// the request-ID middleware writes without it.
    public private(set) lazy var requestID: String = {
        switch requestIDSource {
        case .incoming(let id): id
        case .generated(let words): IdentifierSource.uuidString(words)
        }
    }()
    let requestIDSource: RequestIDSource
    /// The application logger with this request's id attached; built on first use, since most
    /// requests log nothing but their access line.
    public lazy var logger: Logger = {
        var l = baseLogger.logger
        l[metadataKey: "request_id"] = .string(requestID)
        l[metadataKey: "trace_id"] = .string(trace.traceID)
        l[metadataKey: "span_id"] = .string(trace.spanID)
        return l
    }()
    /// The application logger behind one reference: a `Logger` copy per request would retain
    /// each of its parts, and most requests never log.
    private let baseLogger: SharedLogger
    /// The matched route pattern ("/api/v1/projects/:id"), or a fixed label when none matched.
    /// Metrics use it as a label, so it never holds a raw path.
    public internal(set) var route: String {
        didSet { routeKey = route == Self.rejectedRoute ? -2 : route == Self.unmatchedRoute ? -1 : nil }
    }
    /// A small number standing for `route` (metrics cache key); nil when it has none.
    var routeKey: Int?
    public internal(set) var parameters = RouteParameters()
    /// The client's address (after trusted-proxy resolution).
    public let clientAddress: String
    /// The method for logs and metrics; "-" for a refused request whose method is unknown.
    public internal(set) var methodName: String
    /// When the request was complete on the event loop: durations include queueing for a worker.
    let startedAt: Int64
    var match: Router<Route>.Match
    /// For rejections built outside the router: the error to render.
    var rejection: AppError?
    /// Facts about the matched route that middleware asks on every request, read once here
    /// (binding the route again in each would count a reference to it each time).
    let needsAuthentication: Bool
    let isDeprecated: Bool
    /// Who is calling, once the route's access check authenticated them.
    public internal(set) var principal: Principal?

    /// The W3C trace this request is a span of.
    public let trace: TraceContext

    enum RequestIDSource {
        case incoming(String)
        case generated((UInt64, UInt64))
    }

    init(requestID: RequestIDSource, trace: TraceContext, logger: SharedLogger, clientAddress: String, methodName: String,
         match: consuming Router<Route>.Match, receivedAt: Int64) {
        self.requestIDSource = requestID
        self.trace = trace
        self.baseLogger = logger
        self.clientAddress = clientAddress
        self.methodName = methodName
        self.startedAt = receivedAt
        switch match {
        case .found(let r, let parameters, let pattern):
            self.route = pattern
            self.routeKey = r.index
            self.parameters = parameters
            needsAuthentication = r.options.access != .public
            isDeprecated = r.options.deprecation != nil
        case .methodNotAllowed(_, let pattern):
            self.route = pattern
            self.routeKey = nil
            needsAuthentication = false
            isDeprecated = false
        case .notFound:
            self.route = RequestContext.unmatchedRoute
            self.routeKey = -1
            needsAuthentication = false
            isDeprecated = false
        }
        self.match = match
    }

    /// A logger held by reference, built once per application.
    final class SharedLogger: Sendable {
        let logger: Logger
        init(_ logger: Logger) { self.logger = logger }
    }

    public static let unmatchedRoute = "(unmatched)"
    public static let rejectedRoute = "(rejected)"

    /// A path parameter that the route pattern guarantees.
    public func parameter(_ name: String) throws -> String {
        guard let v = parameters[name] else { throw AppError.validation([FieldIssue(field: name, issue: "is required")]) }
        return v
    }

    /// A path parameter that must be a UUID (400 naming it otherwise).
    public func uuidParameter(_ name: String) throws -> UUID {
        guard let id = UUID(uuidString: try parameter(name)) else { throw AppError.validation([FieldIssue(field: name, issue: "must be a UUID")]) }
        return id
    }

    /// Who is calling; 401 on a route that let an anonymous caller through.
    public func requirePrincipal() throws -> Principal {
        guard let p = principal else { throw AppError(.unauthorized, "Authentication required") }
        return p
    }

    /// A success envelope around `data`.
    public func success<T: Encodable>(_ data: T, status: HTTPStatus = .ok, meta: [(String, String)] = []) throws -> Response {
        try Envelope.success(data, requestID: requestID, meta: meta, status: status)
    }
}
