/// A rate policy for a group of routes: a sustained rate plus a burst, per client.
public struct RateLimitPolicy: Sendable, Equatable {
    public var name: String
    public var pathPrefix: String
    public var ratePerSecond: Double
    public var burst: Int

    public init(name: String, pathPrefix: String, ratePerSecond: Double, burst: Int) {
        self.name = name
        self.pathPrefix = pathPrefix
        self.ratePerSecond = ratePerSecond
        self.burst = burst
    }

    /// Seconds over which `burst` requests are replenished: the window advertised to clients.
    public var windowSeconds: Int { max(1, Int((Double(burst) / ratePerSecond).rounded(.up))) }

    /// Parses `name=/path/prefix:rps:burst`.
    static func parse(_ text: String, variable: String) throws -> RateLimitPolicy {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw ConfigError(variable, "\(text) is not name=/prefix:rps:burst")
        }
        let fields = parts[1].split(separator: ":").map(String.init)
        guard fields.count == 3, fields[0].hasPrefix("/"), let rps = Double(fields[1]), rps > 0, rps.isFinite,
              let burst = Int(fields[2]), burst >= 1 else {
            throw ConfigError(variable, "\(text) is not name=/prefix:rps:burst with rps > 0 and burst >= 1")
        }
        return RateLimitPolicy(name: parts[0], pathPrefix: fields[0], ratePerSecond: rps, burst: burst)
    }
}

public struct RateLimitConfig: Sendable {
    public var enabled = true
    public var defaultPolicy = RateLimitPolicy(name: "default", pathPrefix: "/", ratePerSecond: 10, burst: 20)
    public var groups: [RateLimitPolicy] = []
    public var maxKeys = 100_000
    /// Shared buckets in Redis (several instances), else this instance's memory.
    public var redis: RedisEndpoint?
    public var redisTimeoutMs = 100
    /// Operational endpoints are never limited: probes and scrapers must always get through.
    public var exemptPaths: Set<String> = ["/health", "/ready", "/metrics"]

    public init() {}

    /// The policy for a path: the group with the longest matching prefix, else the default.
    /// Nil when the path is exempt.
    public func policy(forPath path: String) -> RateLimitPolicy? {
        if exemptPaths.contains(path) { return nil }
        var best: RateLimitPolicy? = nil
        for g in groups where Self.matches(path, prefix: g.pathPrefix) {
            if best == nil || g.pathPrefix.count > best!.pathPrefix.count { best = g }
        }
        return best ?? defaultPolicy
    }

    private static func matches(_ path: String, prefix: String) -> Bool {
        guard path.hasPrefix(prefix) else { return false }
        if prefix.hasSuffix("/") || path.count == prefix.count { return true }
        return path.dropFirst(prefix.count).first == "/"
    }
}

/// The outcome of asking for one request's worth of quota.
public struct RateLimitDecision: Sendable, Equatable {
    public var allowed: Bool
    /// Requests still available right now.
    public var remaining: Int
    /// Seconds until the full burst is available again.
    public var resetSeconds: Int
    /// Seconds to wait before retrying (0 when allowed).
    public var retryAfterSeconds: Int
}

/// Where rate-limit state lives. In memory today; a shared backend (Redis) can implement this
/// so several instances enforce one limit.
public protocol RateLimiter: Sendable {
    func acquire(key: String, policy: RateLimitPolicy, now: Double) -> RateLimitDecision
}
