import Logging
import Platform
import SystemSupport
import Postgres
import Synchronization

/// The in-process read cache: the market snapshot and the encoded responses built from it,
/// dropped together when a refresh commits (here directly, on other instances through the
/// refresh NOTIFY). A load that started before an invalidation is never stored after it.
final class MarketCache: Sendable {
    private struct State {
        var generation = 0
        var snapshot: MarketSnapshot?
        var responses: [String: CachedBody] = [:]
    }

    private let state = Mutex(State())
    private let pool: ConnectionPool
    /// For background reloads: never a request handler's connection.
    private let backgroundPool: ConnectionPool
    private let metrics: MarketMetrics
    static let maxResponses = 2_048

    init(pool: ConnectionPool, backgroundPool: ConnectionPool, metrics: MarketMetrics) {
        self.pool = pool
        self.backgroundPool = backgroundPool
        self.metrics = metrics
    }

    func invalidate() {
        state.withLock {
            $0.generation += 1
            $0.snapshot = nil
            $0.responses.removeAll()
        }
    }

    func snapshot(on loadPool: ConnectionPool? = nil) throws -> MarketSnapshot {
        let (cached, generation) = state.withLock { ($0.snapshot, $0.generation) }
        if let cached { return cached }
        let loaded = try MarketSnapshot.load(loadPool ?? pool)
        state.withLock { if $0.generation == generation { $0.snapshot = loaded } }
        if let v = loaded.index.last?.value { metrics.indexValue.set(v) }
        if let t = loaded.lastRefresh { metrics.lastSuccess.set(t) }
        return loaded
    }

    /// Loads the snapshot again in the background (after a refresh elsewhere), so the next
    /// request and the gauges find it ready.
    func warm(logger: Logger) {
        Background.detached {
            do { _ = try self.snapshot(on: self.backgroundPool) } catch { logger.warning("market snapshot not loaded", metadata: ["error": .string("\(error)")]) }
        }
    }

    /// The response cached under `key`, built from the snapshot on a miss.
    func response(_ key: String, build: (MarketSnapshot) throws -> CachedBody) throws -> CachedBody {
        let (hit, generation) = state.withLock { ($0.responses[key], $0.generation) }
        if let hit {
            metrics.cacheLookups.inc(["hit"])
            return hit
        }
        metrics.cacheLookups.inc(["miss"])
        let body = try build(try snapshot())
        state.withLock {
            guard $0.generation == generation else { return }
            if $0.responses.count >= Self.maxResponses { $0.responses.removeAll() }
            $0.responses[key] = body
        }
        return body
    }
}
