import Crypto
import Logging
import Synchronization
import SystemSupport

/// GCRA evaluated atomically in Redis by one Lua script (EVALSHA), so every instance shares each
/// client's bucket; Redis's own clock decides, so instances need not agree on time. Each thread
/// keeps its own connection (checks run on worker threads, never on an event loop: the
/// application plans rate-limited routes onto workers with this backend).
///
/// When Redis fails (down, slow past the timeout, refusing), the check falls back to this
/// instance's in-memory limiter, counts it (`rate_limit_backend_fallbacks_total`), logs at most
/// once a minute, and tries Redis again after a second: limits degrade to per-instance, the API
/// keeps working, and recovery needs nobody.
public final class RedisRateLimiter: RateLimiter {
    static let script = """
        local interval = tonumber(ARGV[1])
        local burst = tonumber(ARGV[2])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local tat = tonumber(redis.call('GET', KEYS[1]))
        if tat == nil or tat < now then tat = now end
        local new_tat = tat + interval
        local allow_at = new_tat - interval * burst
        if now < allow_at then
          return {0, 0, tat - now, allow_at - now}
        end
        redis.call('SET', KEYS[1], new_tat, 'PX', math.floor((new_tat - now) / 1000) + 1000)
        return {1, math.floor((now - allow_at) / interval), new_tat - now, 0}
        """
    static let scriptSHA = Hex.encode(SHA1.digest(Array(script.utf8)))

    let endpoint: RedisEndpoint
    let timeoutMs: Int
    let fallback: InMemoryRateLimiter
    let logger: Logger
    private let connections = ThreadLocalKey<Slot>()
    private let lastLog = Mutex<Int64>(-60_000)
    public let fallbacks = Atomic<Int>(0)
    public let redisChecks = Atomic<Int>(0)

    /// A thread's connection, or when it broke, the time to try again.
    final class Slot {
        var connection: RedisConnection?
        var retryAt: Int64 = 0
    }

    public init(endpoint: RedisEndpoint, timeoutMs: Int, fallback: InMemoryRateLimiter, logger: Logger) {
        self.endpoint = endpoint
        self.timeoutMs = timeoutMs
        self.fallback = fallback
        self.logger = logger
    }

    public func acquire(key: String, policy: RateLimitPolicy, now: Double) -> RateLimitDecision {
        let slot: Slot = connections.value { Slot() }
        let nowMs = MonotonicClock.milliseconds()
        if slot.connection == nil && nowMs >= slot.retryAt {
            slot.connection = try? RedisConnection(endpoint, timeoutMs: timeoutMs)
            if slot.connection == nil { slot.retryAt = nowMs + 1_000 }
        }
        if let c = slot.connection {
            do {
                let decision = try evaluate(c, key: key, policy: policy)
                redisChecks.add(1, ordering: .relaxed)
                return decision
            } catch {
                slot.connection = nil
                slot.retryAt = nowMs + 1_000
                noteFailure(error)
            }
        } else {
            noteFailure(RedisConnection.Failure(description: "not connected"))
        }
        fallbacks.add(1, ordering: .relaxed)
        return fallback.acquire(key: key, policy: policy, now: now)
    }

    func evalArguments(key: String, policy: RateLimitPolicy) -> [String] {
        let interval = max(1, Int64((1e6 / policy.ratePerSecond).rounded()))
        return ["EVALSHA", Self.scriptSHA, "1", "rl:" + key, String(interval), String(policy.burst)]
    }

    /// The decision in a pipelined reply (from an event loop's admission check); without a
    /// usable reply, this instance's memory decides and the fallback is counted.
    func decision(fromReply reply: [UInt8]?, key: String, policy: RateLimitPolicy) -> RateLimitDecision {
        if let reply, case .value(let value, _) = RESP.parse(reply), let d = try? decision(value, policy: policy) {
            redisChecks.add(1, ordering: .relaxed)
            return d
        }
        noteFailure(RedisConnection.Failure(description: reply == nil ? "no reply in time" : "unexpected reply"))
        fallbacks.add(1, ordering: .relaxed)
        return fallback.acquire(key: key, policy: policy, now: MonotonicClock.seconds())
    }

    private func evaluate(_ c: RedisConnection, key: String, policy: RateLimitPolicy) throws -> RateLimitDecision {
        var args = evalArguments(key: key, policy: policy)
        var reply = try c.call(args)
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            args[0] = "EVAL"
            args[1] = Self.script
            reply = try c.call(args)
        }
        return try decision(reply, policy: policy)
    }

    private func decision(_ reply: RESPValue, policy: RateLimitPolicy) throws -> RateLimitDecision {
        guard case .array(let items?) = reply, items.count == 4,
              case .integer(let allowed) = items[0], case .integer(let remaining) = items[1],
              case .integer(let resetUs) = items[2], case .integer(let retryUs) = items[3] else {
            throw RedisConnection.Failure(description: "unexpected reply \(reply)")
        }
        func seconds(_ us: Int64) -> Int { Int((us + 999_999) / 1_000_000) }
        return RateLimitDecision(allowed: allowed == 1, remaining: Int(max(0, min(Int64(policy.burst - 1), remaining))),
                                 resetSeconds: seconds(resetUs), retryAfterSeconds: allowed == 1 ? 0 : max(1, seconds(retryUs)))
    }

    private func noteFailure(_ error: Error) {
        let now = MonotonicClock.milliseconds()
        let due = lastLog.withLock { last -> Bool in
            guard now - last >= 60_000 else { return false }
            last = now
            return true
        }
        if due {
            logger.warning("rate limiting falls back to this instance's memory: Redis is unavailable",
                           metadata: ["error": .string(String(describing: error)), "redis": .string("\(endpoint.host):\(endpoint.port)")])
        }
    }
}

public enum RateLimiters {
    /// The limiter the configuration asks for: shared through Redis, or this instance's memory.
    public static func make(config: RateLimitConfig, logger: Logger) -> any RateLimiter {
        let memory = InMemoryRateLimiter(maxKeys: config.maxKeys)
        guard let endpoint = config.redis else { return memory }
        return RedisRateLimiter(endpoint: endpoint, timeoutMs: config.redisTimeoutMs, fallback: memory, logger: logger)
    }
}
