import Synchronization
import Logging

/// What every loop shares: the application, limits, worker pool, counters, the memory budget
/// of incomplete bodies, connections per client, and the lifecycle phase.
final class ServerContext: Sendable {
    let app: any HTTPApplication
    let limits: HTTPLimits
    let pool: WorkerPool
    /// Producers of streamed responses, apart from the request workers.
    let streams: WorkerPool
    let stats: ServerStats
    let logger: Logger
    let bodyBudget: MemoryBudget
    let clientConnections: ClientConnectionCounter
    /// 0 running, 1 draining (finish in-flight work, accept nothing), 2 stopping (close all now).
    let phase = Atomic<Int>(0)

    init(app: any HTTPApplication, limits: HTTPLimits, pool: WorkerPool, streams: WorkerPool, stats: ServerStats, logger: Logger) {
        self.app = app
        self.limits = limits
        self.pool = pool
        self.streams = streams
        self.stats = stats
        self.logger = logger
        bodyBudget = MemoryBudget(limit: limits.bodyMemoryBudgetBytes)
        clientConnections = ClientConnectionCounter(limit: limits.maxConnectionsPerClient) { app.isExemptFromConnectionCap(peer: $0) }
    }
}

/// Open connections per peer address, across all loops, so that one client cannot take every
/// connection slot. Exempt peers (trusted proxies) are not counted.
final class ClientConnectionCounter: Sendable {
    let limit: Int
    private let isExempt: @Sendable (String) -> Bool
    private let counts = Mutex<[String: Int]>([:])

    init(limit: Int, isExempt: @escaping @Sendable (String) -> Bool) {
        self.limit = limit
        self.isExempt = isExempt
    }

    /// Counts a new connection from `peer`; false (and not counted) when it is over the cap.
    func admit(_ peer: String) -> Bool {
        guard limit > 0, !isExempt(peer) else { return true }
        return counts.withLock { c in
            let n = c[peer, default: 0]
            guard n < limit else { return false }
            c[peer] = n + 1
            return true
        }
    }

    func release(_ peer: String) {
        guard limit > 0 else { return }
        counts.withLock { c in
            guard let n = c[peer] else { return }
            if n <= 1 { c[peer] = nil } else { c[peer] = n - 1 }
        }
    }
}
