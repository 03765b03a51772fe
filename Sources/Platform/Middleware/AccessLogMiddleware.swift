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
        metrics.record(method: context.methodName, route: context.route, status: response.status.code, seconds: Double(elapsedNs) / 1e9)
        log.write(AccessLog.Entry(requestID: context.requestID, method: context.methodName, route: context.route,
                                  status: response.status.code, durationMicros: Int(elapsedNs / 1000),
                                  bytes: response.body.count, client: context.clientAddress))
        return response
    }
}

/// The per-request HTTP metrics.
public final class HTTPMetrics: Sendable {
    let requests: Counter
    let duration: Histogram

    public init(registry: MetricsRegistry) {
        requests = registry.counter("http_requests_total", help: "HTTP requests by method, route pattern and status.",
                                    labels: ["method", "route", "status"])
        duration = registry.histogram("http_request_duration_seconds", help: "HTTP request duration by method and route pattern.",
                                      labels: ["method", "route"],
                                      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    }

    func record(method: String, route: String, status: Int, seconds: Double) {
        requests.inc([method, route, String(status)])
        duration.observe(seconds, [method, route])
    }
}
