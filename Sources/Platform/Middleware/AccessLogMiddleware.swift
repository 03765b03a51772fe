import SystemSupport
import HTTPServer
import Logging

/// Records http_requests_total and http_request_duration_seconds by route pattern, and writes
/// one access-log line per request.
public struct AccessLogMiddleware: Middleware {
    let metrics: HTTPMetrics
    let log: AccessLog

    public init(metrics: HTTPMetrics, log: AccessLog) {
        self.metrics = metrics
        self.log = log
    }

    public func handle(_ request: Request, _ context: RequestContext, next: Responder) throws -> Response {
        let response = try next(request, context)
        let elapsedNs = MonotonicClock.nanoseconds() - context.startedAt
        metrics.record(method: context.methodName, route: context.route, routeKey: context.routeKey, status: response.status.code,
                       seconds: Double(elapsedNs) / 1e9)
        guard log.writes(status: response.status.code) else { return response }
        log.write(AccessLog.Entry(requestID: context.requestID, traceID: context.trace.traceID, method: context.methodName, route: context.route,
                                  status: response.status.code, durationMicros: Int(elapsedNs / 1000),
                                  bytes: response.body.count, client: context.clientAddress))
        return response
    }
}

/// The per-request HTTP metrics. Each (route, method, status) resolves its lock-free cells
/// once, as cells of the calling thread's own; after that a request costs one lookup of a
/// small integer key in a cache of that thread and uncontended atomic adds, instead of
/// hashing label strings under a lock.
public final class HTTPMetrics: Sendable {
    let requests: Counter
    let duration: Histogram
    private let cacheKey = ThreadLocalKey<Cache>()

    public init(registry: MetricsRegistry) {
        requests = registry.counter("http_requests_total", help: "HTTP requests by method, route pattern and status.",
                                    labels: ["method", "route", "status"])
        duration = registry.histogram("http_request_duration_seconds", help: "HTTP request duration by method and route pattern.",
                                      labels: ["method", "route"],
                                      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    }

    final class Cells {
        let requests: CounterCell
        let duration: HistogramCell
        init(_ r: CounterCell, _ d: HistogramCell) {
            requests = r
            duration = d
        }
    }

    final class Cache { var cells: [Int: Cells] = [:] }

    /// `routeKey` identifies the route pattern (its registration index, or a negative number
    /// for unmatched and refused requests) and must map to one `route` string; nil (a 405 on
    /// some pattern) takes the uncached path.
    func record(method: String, route: String, routeKey: Int?, status: Int, seconds: Double) {
        guard let routeKey, let code = Self.methodCode(method), (100...999).contains(status) else {
            requests.cell([method, route, String(status)]).inc()
            duration.cell([method, route]).observe(seconds)
            return
        }
        let cache: Cache = cacheKey.value { Cache() }
        let key = (routeKey &* 1_000 &+ status) &* 16 &+ code
        let cells: Cells
        if let found = cache.cells[key] {
            cells = found
        } else {
            // This thread's own shards of the series: no cache line shared with other threads.
            cells = Cells(requests.shard([method, route, String(status)]), duration.shard([method, route]))
            cache.cells[key] = cells
        }
        cells.requests.inc()
        cells.duration.observe(seconds)
    }

    /// A small number per method for the cache key (15 for "-", an unknown method).
    static func methodCode(_ method: String) -> Int? {
        method == "-" ? 15 : HTTPMethod(name: method).map { Int($0.rawValue) }
    }
}
