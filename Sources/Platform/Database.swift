import Logging
import Postgres

/// The application's database: the pool, its metrics and log hooks, and its readiness check.
public final class Database: Sendable {
    public let pool: ConnectionPool
    public let migrations: [Migration]
    /// A one-connection pool for /ready, so a saturated main pool cannot delay the probe.
    private let probePool: ConnectionPool
    /// Connections for streamed responses (an export reads one snapshot through a cursor for as
    /// long as its reader takes), one per stream thread: a slow reader holds one of these,
    /// never one that requests need.
    public let streamPool: ConnectionPool

    public init(config: AppConfig, metrics: MetricsRegistry, logger: Logger) throws {
        let observer = DatabaseMetrics(registry: metrics, logger: logger)
        pool = ConnectionPool(configuration: config.database, observer: observer)
        var probe = config.database
        probe.poolSize = 1
        probe.maxOverflow = 0
        probe.checkoutTimeoutMs = 1_000
        probe.statementTimeoutMs = 1_000
        probe.connectTimeoutSeconds = 2
        probe.applicationName = "apiserver-probe"
        probePool = ConnectionPool(configuration: probe)
        var streams = config.database
        streams.poolSize = config.server.streamThreads
        streams.maxOverflow = 0
        streams.applicationName = "apiserver-streams"
        streamPool = ConnectionPool(configuration: streams)
        migrations = try Migration.load(directory: config.migrationsDirectory)
        let pool = self.pool
        metrics.addCollector { text in
            let s = pool.statistics
            text.header("db_pool_connections", help: "Database connections by state.", type: "gauge")
            text.sample("db_pool_connections", ["state"], ["idle"], Double(s.idle))
            text.sample("db_pool_connections", ["state"], ["in_use"], Double(s.inUse))
            text.header("db_pool_waiters", help: "Requests waiting for a database connection.", type: "gauge")
            text.sample("db_pool_waiters", Double(s.waiters))
        }
    }

    public func migrator() -> Migrator { Migrator(pool: pool, migrations: migrations) }

    /// Applies pending migrations, logging each one.
    @discardableResult
    public func migrate(logger: Logger) throws -> [Migration] {
        try migrator().migrate { m, ms in
            logger.info("migration applied", metadata: ["version": "\(m.version)", "name": "\(m.name)", "duration_ms": "\(ms)"])
        }
    }

    public var readiness: any ReadinessCheck { DatabaseReadiness(pool: probePool, migrations: migrations) }

    public func shutdown() {
        pool.shutdown()
        probePool.shutdown()
        streamPool.shutdown()
    }
}

/// Ready when SELECT 1 answers within a second and every migration is applied unchanged.
struct DatabaseReadiness: ReadinessCheck {
    let pool: ConnectionPool
    let migrations: [Migration]
    var name: String { "database" }

    func problem() -> String? {
        do {
            try pool.withConnection { try $0.query("SELECT 1") }
            let states = try Migrator(pool: pool, migrations: migrations).status()
            if let bad = states.first(where: { $0.state != .applied }) {
                return "migration \(bad.version) \(bad.state.rawValue)"
            }
            return nil
        } catch let e as PostgresError {
            return e.isTimeout ? "timeout" : e.code == .poolTimeout ? "busy" : "unreachable"
        } catch {
            return "unreachable"
        }
    }
}

/// Pool metrics and notices.
final class DatabaseMetrics: PoolObserver {
    let checkoutSeconds: Histogram
    let timeouts: Counter
    let transactions: Counter
    let retries: Counter
    let discarded: Counter
    let queries: Histogram
    let logger: Logger

    init(registry: MetricsRegistry, logger: Logger) {
        checkoutSeconds = registry.histogram("db_pool_checkout_seconds", help: "Time to obtain a database connection.",
                                             buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5])
        timeouts = registry.counter("db_pool_checkout_timeouts_total", help: "Checkouts that gave up waiting for a connection.")
        transactions = registry.counter("db_transactions_total", help: "Transactions by outcome.", labels: ["outcome"])
        retries = registry.counter("db_transaction_retries_total", help: "Transactions re-run after a serialization failure or deadlock.")
        discarded = registry.counter("db_connections_discarded_total", help: "Connections closed by the pool, by reason.", labels: ["reason"])
        queries = registry.histogram("db_query_duration_seconds", help: "Duration of database statements.",
                                     buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 15])
        self.logger = logger
    }

    func checkedOut(waitSeconds: Double) { checkoutSeconds.observe(waitSeconds) }
    func checkoutTimedOut() { timeouts.inc() }
    func transactionFinished(committed: Bool) { transactions.inc([committed ? "commit" : "rollback"]) }
    func commitFailed(_ error: PostgresError) {
        transactions.inc([error.outcomeUnknown ? "commit_unknown" : "commit_failed"])
        logger.error(error.outcomeUnknown ? "COMMIT outcome unknown: the connection broke during COMMIT" : "COMMIT failed; rolled back",
                     metadata: ["error": .string(error.debugDescription)])
    }
    func transactionRetried() { retries.inc() }
    func connectionDiscarded(reason: String) { discarded.inc([reason]) }
    func queryFinished(seconds: Double) { queries.observe(seconds) }
    func notice(_ message: String) { logger.notice("postgres notice", metadata: ["notice": .string(message)]) }
}
