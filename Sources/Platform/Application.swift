import HTTPServer
import Logging
import SystemSupport

/// The application the HTTP server calls: routing, the middleware chain and the error boundary.
///
/// Chain, outermost first: request ID -> metrics + access log -> compression -> security
/// headers -> CORS -> rate limit -> error envelope -> authentication (per route) -> handler.
public final class Application: HTTPApplication {
    public let config: AppConfig
    public let metrics: MetricsRegistry
    public let lifecycle: Lifecycle
    let logger: Logger
    private let requestLogger: RequestContext.SharedLogger
    let router: Router<Route>
    /// Routes by index, for requests whose plan already found a route without parameters.
    let routesByIndex: [Route]
    let identity: ClientIdentity
    /// Rate limits are checked in Redis, asked by the event loops before a limited request runs.
    let remoteLimiter: RedisRateLimiter?
    private let chain: MiddlewareChain
    private let rejectionChain: MiddlewareChain

    public init(config: AppConfig, routes: Routes, metrics: MetricsRegistry, lifecycle: Lifecycle, logger: Logger,
                rateLimiter: (any RateLimiter)? = nil, authenticators: [any Authenticator] = [], logSink: LogSink = .standardOutput) {
        self.config = config
        self.metrics = metrics
        self.lifecycle = lifecycle
        self.logger = logger
        requestLogger = RequestContext.SharedLogger(logger)
        self.router = routes.builder.freeze()
        self.routesByIndex = routes.all
        self.identity = ClientIdentity(trustedProxies: config.trustedProxies)
        let httpMetrics = HTTPMetrics(registry: metrics)
        let limiter = rateLimiter ?? RateLimiters.make(config: config.rateLimit, logger: logger)
        let shared = limiter as? RedisRateLimiter
        let memory = shared?.fallback ?? (limiter as? InMemoryRateLimiter) ?? InMemoryRateLimiter(maxKeys: config.rateLimit.maxKeys)
        remoteLimiter = config.rateLimit.enabled ? shared : nil
        if let redis = shared {
            metrics.addCollector { text in
                text.header("rate_limit_backend_fallbacks_total", help: "Rate-limit checks answered from memory because Redis failed.", type: "counter")
                text.sample("rate_limit_backend_fallbacks_total", Double(redis.fallbacks.load(ordering: .relaxed)))
                text.header("rate_limit_backend_checks_total", help: "Rate-limit checks answered by Redis.", type: "counter")
                text.sample("rate_limit_backend_checks_total", Double(redis.redisChecks.load(ordering: .relaxed)))
            }
        }
        let security = SecurityHeadersMiddleware(hstsMaxAge: config.hstsMaxAge)
        let accessLog = AccessLogMiddleware(metrics: httpMetrics,
                                            log: AccessLog(sink: logSink, json: config.logJSON, minimumLevel: config.logLevel))
        let cors = CORSMiddleware(config: config.cors)
        let middleware: [any Middleware] = [
            RequestIDMiddleware(),
            accessLog,
            CompressionMiddleware(minBytes: config.gzipMinBytes, level: config.gzipLevel),
            security,
            APIVersionMiddleware(),
            cors,
            RateLimitMiddleware(config: config.rateLimit, limiter: limiter, identity: identity, registry: metrics),
            ErrorMiddleware(),
            ContentEncodingMiddleware(),
            AuthMiddleware(authenticators: (config.adminAPIToken.map { [AdminTokenAuthenticator(token: $0)] } ?? []) + authenticators),
        ]
        chain = MiddlewareChain(middleware, terminal: Self.route)
        // Requests the HTTP layer refuses still get an id, metrics, a log line, safe headers and
        // CORS headers (so a browser can read why it was refused).
        rejectionChain = MiddlewareChain([RequestIDMiddleware(), accessLog, security, cors]) { _, context in
            Envelope.error(context.rejection ?? AppError(.internalError, "An internal error occurred"), requestID: context.requestID)
        }
        do {
            let limiter = memory
            metrics.addCollector { text in
                text.header("rate_limit_tracked_clients", help: "Clients currently tracked by the in-memory rate limiter.", type: "gauge")
                text.sample("rate_limit_tracked_clients", Double(limiter.trackedKeys))
                text.header("rate_limit_untracked_admissions_total", help: "Requests admitted untracked because the limiter table was full.", type: "counter")
                text.sample("rate_limit_untracked_admissions_total", Double(limiter.untrackedAdmissions.load(ordering: .relaxed)))
            }
        }
    }

    public func plan(for request: Request) -> RoutePlan {
        if case .found(let route, _, _) = router.match(request.method, rawPath: request.rawPath) {
            return RoutePlan(runsInline: route.options.inline, maxBodyBytes: route.options.maxBodyBytes,
                             timeoutMs: route.options.timeoutMs, streamsBody: route.options.streamsBody,
                             routeHint: route.hasParameters ? -1 : route.index)
        }
        // 404, 405 and OPTIONS are answered without blocking. With a (small) body they take a
        // worker, so the body is read and the answer is still 404/405, not 413.
        if request.headers.contains("Content-Length") || request.headers.contains("Transfer-Encoding") {
            return RoutePlan(runsInline: false, maxBodyBytes: 64 * 1024)
        }
        return RoutePlan(runsInline: true)
    }

    public func respond(to request: Request) -> Response {
        let match: Router<Route>.Match
        if request.routeHint >= 0 && request.routeHint < routesByIndex.count {
            // Planned on the loop to a route without parameters: no need to route again.
            let route = routesByIndex[request.routeHint]
            match = .found(route, parameters: RouteParameters(), pattern: route.pattern)
        } else {
            match = router.match(request.method, rawPath: request.rawPath)
        }
        let context = makeContext(request, match: consume match)
        do {
            return try chain(request, context)
        } catch {
            // Only reachable if a middleware outside the error boundary throws.
            return ErrorMiddleware.response(for: error, context: context)
        }
    }

    public func rejection(_ reason: ServerRejection, _ refused: RefusedRequest) -> Response {
        // Without a parsed head, a stand-in carries what is known (peer, method, Origin) so the
        // log line and the CORS headers are right.
        let req = refused.request ?? Request(method: refused.method ?? .GET, target: "/",
                                             headers: refused.origin.map { [("Origin", $0)] } ?? [], remoteAddress: refused.peer)
        let context = makeContext(req, match: .notFound)
        if refused.request == nil && refused.method == nil { context.methodName = "-" }
        context.route = RequestContext.rejectedRoute
        context.rejection = AppError.from(reason)
        return (try? rejectionChain(req, context)) ?? Envelope.error(AppError.from(reason), requestID: context.requestID)
    }

    public var admissionService: (any AdmissionService)? {
        remoteLimiter.map { RedisAdmission(endpoint: $0.endpoint, timeoutMs: $0.timeoutMs) }
    }

    public func admissionCheck(for request: Request) -> AdmissionCheck? { redisCheck(for: request) }

    public func isExemptFromConnectionCap(peer: String) -> Bool {
        guard let bytes = IPAddress.parse(peer) else { return false }
        return config.trustedProxies.contains { $0.contains(bytes) }
    }

    private func makeContext(_ request: Request, match: consuming Router<Route>.Match) -> RequestContext {
        RequestContext(requestID: RequestIDMiddleware.requestID(for: request),
                       trace: TraceContext(traceparent: request.header("traceparent"), tracestate: request.header("tracestate")),
                       logger: requestLogger,
                       clientAddress: identity.clientAddress(for: request), methodName: request.method.description,
                       match: match, receivedAt: request.receivedAt)
    }

    /// The innermost responder: the matched handler, 405 with Allow, OPTIONS, or 404.
    private static func route(_ request: Request, _ context: RequestContext) throws -> Response {
        switch context.match {
        case .found(let route, _, _):
            return try route.handler(request, context)
        case .methodNotAllowed(let allowed, _):
            if request.method == .OPTIONS {
                var response = Response(status: .noContent)
                response.headers.set("Allow", allowed.map(\.description).joined(separator: ", "))
                return response
            }
            throw AppError.methodNotAllowed(allowed)
        case .notFound:
            throw AppError.notFound("No route for \(request.method) \(request.path)")
        }
    }
}
