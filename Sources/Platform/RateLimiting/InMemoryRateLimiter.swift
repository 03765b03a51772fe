import Synchronization

/// GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp per client):
/// each key stores its "theoretical arrival time". Memory is bounded: keys whose bucket is full
/// again carry no information and are swept; when the table is still full the request is
/// allowed untracked (fail open) and counted, so an address flood cannot lock everyone out.
public final class InMemoryRateLimiter: RateLimiter {
    private let shards: [ShardBox]
    private let maxKeysPerShard: Int
    public let untrackedAdmissions = Atomic<Int>(0)

    private struct Shard {
        var tat: [String: Int64] = [:]
        var operations = 0
    }

    public init(maxKeys: Int, shardCount: Int = 16) {
        shards = (0..<shardCount).map { _ in ShardBox() }
        maxKeysPerShard = max(1, maxKeys / shardCount)
    }

    private final class ShardBox: Sendable {
        let state = Mutex(Shard())
    }

    public var trackedKeys: Int { shards.reduce(0) { total, box in total + box.state.withLock { $0.tat.count } } }

    public func acquire(key: String, policy: RateLimitPolicy, now: Double) -> RateLimitDecision {
        // Integer nanoseconds: with doubles, 19 x 0.1 s falls short of 1.9 s and a client loses a
        // token at the edge of its burst.
        let nowNs = Int64(now * 1e9)
        let interval = max(1, Int64((1e9 / policy.ratePerSecond).rounded()))
        let tolerance = interval * Int64(policy.burst)
        let index = Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))
        let maxKeys = maxKeysPerShard
        let (decision, untracked) = shards[index].state.withLock { shard -> (RateLimitDecision, Bool) in
            shard.operations += 1
            if shard.operations % 4096 == 0 { Self.sweep(&shard, now: nowNs) }
            let stored = shard.tat[key]
            let tat = max(stored ?? nowNs, nowNs)
            let newTat = tat + interval
            let allowAt = newTat - tolerance
            if nowNs < allowAt {
                return (RateLimitDecision(allowed: false, remaining: 0, resetSeconds: Self.seconds(tat - nowNs),
                                          retryAfterSeconds: max(1, Self.seconds(allowAt - nowNs))), false)
            }
            if stored == nil && shard.tat.count >= maxKeys {
                Self.sweep(&shard, now: nowNs)
                if shard.tat.count >= maxKeys {
                    return (RateLimitDecision(allowed: true, remaining: policy.burst - 1, resetSeconds: 0, retryAfterSeconds: 0), true)
                }
            }
            shard.tat[key] = newTat
            let remaining = Int((nowNs - allowAt) / interval)
            return (RateLimitDecision(allowed: true, remaining: max(0, min(policy.burst - 1, remaining)),
                                      resetSeconds: Self.seconds(newTat - nowNs), retryAfterSeconds: 0), false)
        }
        if untracked { untrackedAdmissions.add(1, ordering: .relaxed) }
        return decision
    }

    /// Whole seconds, rounded up: a client told to wait must not come back too early.
    private static func seconds(_ ns: Int64) -> Int { Int((ns + 999_999_999) / 1_000_000_000) }

    /// Drops keys whose bucket has refilled completely.
    private static func sweep(_ shard: inout Shard, now: Int64) {
        shard.tat = shard.tat.filter { $0.value > now }
    }
}
