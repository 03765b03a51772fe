import SystemSupport
import HTTPServer

/// Per-client rate limiting with per-route-group policies. Every limited response carries the
/// IETF RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers); a refused
/// request gets 429 RATE_LIMITED with Retry-After.
public struct RateLimitMiddleware: Middleware {
    let config: RateLimitConfig
    let limiter: any RateLimiter
    let identity: ClientIdentity
    let rejections: Counter

    public init(config: RateLimitConfig, limiter: any RateLimiter, identity: ClientIdentity, registry: MetricsRegistry) {
        self.config = config
        self.limiter = limiter
        self.identity = identity
        self.rejections = registry.counter("rate_limit_rejections_total", help: "Requests refused by the rate limiter, by policy.",
                                           labels: ["policy"])
    }

    public func handle(_ request: Request, _ context: RequestContext, next: Responder) throws -> Response {
        guard config.enabled, let policy = config.policy(forPath: request.path) else { return try next(request, context) }
        let key = policy.name + "|" + identity.rateLimitKey(for: request)
        // Decided on the event loop already when the limiter lives in Redis.
        let decision = request.admission as? RateLimitDecision ?? limiter.acquire(key: key, policy: policy, now: MonotonicClock.seconds())
        let policyField = "\"\(policy.name)\";q=\(policy.burst);w=\(policy.windowSeconds)"
        let stateField = "\"\(policy.name)\";r=\(decision.remaining);t=\(decision.resetSeconds)"
        guard decision.allowed else {
            rejections.inc([policy.name])
            context.logger.notice("rate limited", metadata: ["policy": .string(policy.name)])
            var response = Envelope.error(AppError(.rateLimited, "Too many requests; retry after \(decision.retryAfterSeconds) s"),
                                          requestID: context.requestID)
            response.headers.set("Retry-After", String(decision.retryAfterSeconds))
            response.headers.set("RateLimit-Policy", policyField)
            response.headers.set("RateLimit", stateField)
            return response
        }
        var response = try next(request, context)
        response.headers.set("RateLimit-Policy", policyField)
        response.headers.set("RateLimit", stateField)
        return response
    }
}
