import Platform
import Postgres

/// Reading and changing the strategy configuration; a change is a new version, optionally
/// with the index recomputed in the same transaction.
final class StrategyService: Sendable {
    let pool: ConnectionPool
    let cache: MarketCache

    init(pool: ConnectionPool, cache: MarketCache) {
        self.pool = pool
        self.cache = cache
    }

    func current() throws -> StrategyRepository.Stored {
        guard let s = try cache.snapshot().strategy else { throw AppError.notFound("No strategy configuration") }
        return s
    }

    /// Stores `config` as a new active version; with `recompute`, recomputes the index in the
    /// same transaction (409 while a refresh runs: both write the index).
    func update(_ config: StrategyConfig, recompute: Bool, audit: AuditEntry) throws -> (stored: StrategyRepository.Stored, stats: RefreshStats?) {
        let problems = config.problems()
        guard problems.isEmpty else {
            throw AppError.validation(problems.map { FieldIssue(field: $0.field, issue: $0.issue) }, message: "Invalid strategy configuration")
        }
        let result = try pool.transaction { tx -> (StrategyRepository.Stored, RefreshStats?) in
            let key = JobRunner.lockKey(MarketsFeature.refreshJob)
            guard try tx.query("SELECT pg_try_advisory_xact_lock(\(key)) AS locked").first!.decode("locked", as: Bool.self) else {
                throw AppError(.conflict, "A refresh is running; try again when it has finished")
            }
            try tx.query(StrategyRepository.deactivate)
            try tx.query(try StrategyRepository.insert(config, name: "api"))
            guard let stored = try StrategyRepository.load(tx) else { throw AppError(.internalError, "the new configuration was not stored") }
            var entry = audit
            entry.resourceID = String(stored.version)
            try AuditTrail.record(tx, entry)
            var stats: RefreshStats?
            if recompute {
                var s = RefreshStats(mode: "recompute", provider: "none")
                try RefreshRepository.prepareSession(tx)
                _ = try IndexRecompute.run(tx, stats: &s)
                stats = s
                try tx.query("SELECT pg_notify(\(RefreshService.channel), \(#"{"strategy_version":\#(stored.version)}"#))")
            }
            return (stored, stats)
        }
        cache.invalidate()
        return result
    }
}
