import Postgres

/// The refresh's writes, all inside the caller's transaction: assets, then prices and FX rates
/// staged with COPY into session temporary tables and merged with INSERT ... ON CONFLICT DO
/// UPDATE only where a value changed. Nothing here deletes a price or a rate.
enum RefreshRepository: StatementCatalog {
    /// Staging tables: one per session, emptied at every commit or rollback.
    static let sessionSetup = [
        """
        CREATE TEMP TABLE IF NOT EXISTS incoming_prices (asset_id bigint NOT NULL, date date NOT NULL, open float8, high float8,
            low float8, close float8 NOT NULL, volume bigint, source text NOT NULL) ON COMMIT DELETE ROWS
        """,
        """
        CREATE TEMP TABLE IF NOT EXISTS incoming_fx (quote char(3) NOT NULL, date date NOT NULL, rate numeric(24, 12) NOT NULL,
            source text NOT NULL) ON COMMIT DELETE ROWS
        """,
        """
        CREATE TEMP TABLE IF NOT EXISTS computed_index (date date NOT NULL, value float8 NOT NULL, daily_return float8) ON COMMIT DELETE ROWS
        """,
        """
        CREATE TEMP TABLE IF NOT EXISTS computed_allocations (date date NOT NULL, asset_id bigint NOT NULL, weight float8 NOT NULL)
            ON COMMIT DELETE ROWS
        """,
    ]

    static func prepareSession(_ tx: Transaction) throws {
        // IF NOT EXISTS would log a notice on every run after the first.
        try tx.query("SET LOCAL client_min_messages = warning")
        for sql in sessionSetup { try tx.query(PostgresQuery(unsafeSQL: sql)) }
    }

    static func upsertAsset(_ a: AssetInfo) -> PostgresQuery {
        """
        INSERT INTO assets AS a (symbol, name, sector, asset_class, currency, market_cap, is_benchmark)
        VALUES (\(a.symbol), \(a.name), \(a.sector), \(a.assetClass), \(a.currency), \(a.marketCap), \(a.isBenchmark))
        ON CONFLICT (symbol) WHERE deleted_at IS NULL DO UPDATE
        SET name = EXCLUDED.name, sector = EXCLUDED.sector, asset_class = EXCLUDED.asset_class, currency = EXCLUDED.currency,
            market_cap = EXCLUDED.market_cap, is_benchmark = EXCLUDED.is_benchmark
        WHERE (a.name, a.sector, a.asset_class, a.currency, a.market_cap, a.is_benchmark)
              IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.sector, EXCLUDED.asset_class, EXCLUDED.currency, EXCLUDED.market_cap, EXCLUDED.is_benchmark)
        """
    }

    static let assetIDs: PostgresQuery = "SELECT id, symbol FROM assets WHERE deleted_at IS NULL"

    /// Each live asset's last stored date (nil: no prices yet).
    static let lastDates: PostgresQuery = """
        SELECT a.symbol, (SELECT max(p.date) FROM prices p WHERE p.asset_id = a.id) AS last_date
        FROM assets a WHERE a.deleted_at IS NULL
        """

    static let lastFXDate: PostgresQuery = "SELECT max(date) AS last_date FROM fx_rates WHERE base = 'USD'"

    /// Merges the staged prices; returns per asset how many rows were inserted and updated.
    /// (A partitioned table cannot return xmax, so "existed before" is read in the same snapshot.)
    static let mergePrices: PostgresQuery = """
        WITH existing AS (
            SELECT i.asset_id, i.date, (p.asset_id IS NOT NULL) AS present
            FROM incoming_prices i LEFT JOIN prices p ON p.asset_id = i.asset_id AND p.date = i.date
        ), merged AS (
            INSERT INTO prices AS p (asset_id, date, open, high, low, close, volume, source)
            SELECT asset_id, date, open, high, low, close, coalesce(volume, 0), source FROM incoming_prices
            ON CONFLICT (asset_id, date) DO UPDATE
            SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume,
                source = EXCLUDED.source
            WHERE (p.open, p.high, p.low, p.close, p.volume) IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
            RETURNING p.asset_id, p.date
        )
        SELECT m.asset_id, count(*) FILTER (WHERE NOT e.present) AS inserted, count(*) FILTER (WHERE e.present) AS updated
        FROM merged m JOIN existing e ON e.asset_id = m.asset_id AND e.date = m.date
        GROUP BY m.asset_id
        """

    static let mergeFX: PostgresQuery = """
        WITH merged AS (
            INSERT INTO fx_rates AS f (base, quote, date, rate, source)
            SELECT 'USD', quote, date, rate, source FROM incoming_fx
            ON CONFLICT (base, quote, date) DO UPDATE SET rate = EXCLUDED.rate, source = EXCLUDED.source
            WHERE f.rate IS DISTINCT FROM EXCLUDED.rate
            RETURNING (xmax = 0) AS inserted
        )
        SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM merged
        """

    /// Every stored close of the live assets, per asset in date order: the strategy's input.
    static let allCloses: PostgresQuery = """
        SELECT a.symbol, p.date, p.close FROM prices p JOIN assets a ON a.id = p.asset_id
        WHERE a.deleted_at IS NULL ORDER BY p.asset_id, p.date
        """

    static let universe: PostgresQuery = """
        SELECT id, symbol, market_cap, is_benchmark FROM assets WHERE deleted_at IS NULL ORDER BY symbol
        """

    /// Index values: the computed series replaces the stored one, rows rewritten only where changed.
    static func mergeIndex(version: Int) -> PostgresQuery {
        """
            WITH removed AS (
                DELETE FROM index_values v WHERE NOT EXISTS (SELECT 1 FROM computed_index c WHERE c.date = v.date) RETURNING 1
            ), merged AS (
                INSERT INTO index_values AS v (date, value, daily_return, strategy_version)
                SELECT date, value, daily_return, \(version)::integer FROM computed_index
                ON CONFLICT (date) DO UPDATE SET value = EXCLUDED.value, daily_return = EXCLUDED.daily_return,
                    strategy_version = EXCLUDED.strategy_version
                WHERE (v.value, v.daily_return, v.strategy_version) IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.daily_return, EXCLUDED.strategy_version)
                RETURNING (xmax = 0) AS inserted
            )
            SELECT (SELECT count(*) FROM removed) AS removed, count(*) FILTER (WHERE inserted) AS inserted,
                   count(*) FILTER (WHERE NOT inserted) AS updated FROM merged
            """
    }

    static func mergeAllocations(version: Int) -> PostgresQuery {
        """
            WITH removed AS (
                DELETE FROM allocations a WHERE NOT EXISTS
                    (SELECT 1 FROM computed_allocations c WHERE c.date = a.date AND c.asset_id = a.asset_id) RETURNING 1
            ), merged AS (
                INSERT INTO allocations AS a (date, asset_id, weight, strategy_version)
                SELECT date, asset_id, weight, \(version)::integer FROM computed_allocations
                ON CONFLICT (date, asset_id) DO UPDATE SET weight = EXCLUDED.weight, strategy_version = EXCLUDED.strategy_version
                WHERE (a.weight, a.strategy_version) IS DISTINCT FROM (EXCLUDED.weight, EXCLUDED.strategy_version)
                RETURNING (xmax = 0) AS inserted
            )
            SELECT (SELECT count(*) FROM removed) AS removed, count(*) FILTER (WHERE inserted) AS inserted,
                   count(*) FILTER (WHERE NOT inserted) AS updated FROM merged
            """
    }

    static func upsertRiskMetrics(asOf: Day, _ m: RiskMetrics, version: Int) -> PostgresQuery {
        """
        INSERT INTO risk_metrics AS r (date, total_return, annualized_return, volatility, sharpe_ratio, sortino, max_drawdown,
            current_drawdown, var_95, var_99, beta, correlation, strategy_version)
        VALUES (\(asOf), \(m.totalReturn), \(m.annualizedReturn), \(m.volatility), \(m.sharpe), \(m.sortino), \(m.maxDrawdown),
            \(m.currentDrawdown), \(m.var95), \(m.var99), \(m.beta), \(m.correlation), \(version))
        ON CONFLICT (date) DO UPDATE SET total_return = EXCLUDED.total_return, annualized_return = EXCLUDED.annualized_return,
            volatility = EXCLUDED.volatility, sharpe_ratio = EXCLUDED.sharpe_ratio, sortino = EXCLUDED.sortino,
            max_drawdown = EXCLUDED.max_drawdown, current_drawdown = EXCLUDED.current_drawdown, var_95 = EXCLUDED.var_95,
            var_99 = EXCLUDED.var_99, beta = EXCLUDED.beta, correlation = EXCLUDED.correlation, strategy_version = EXCLUDED.strategy_version
        WHERE (r.total_return, r.annualized_return, r.volatility, r.sharpe_ratio, r.sortino, r.max_drawdown, r.current_drawdown,
               r.var_95, r.var_99, r.beta, r.correlation, r.strategy_version)
              IS DISTINCT FROM (EXCLUDED.total_return, EXCLUDED.annualized_return, EXCLUDED.volatility, EXCLUDED.sharpe_ratio,
               EXCLUDED.sortino, EXCLUDED.max_drawdown, EXCLUDED.current_drawdown, EXCLUDED.var_95, EXCLUDED.var_99, EXCLUDED.beta,
               EXCLUDED.correlation, EXCLUDED.strategy_version)
        """
    }

    static let sample = AssetInfo(symbol: "X", name: "x", sector: nil, assetClass: "equity", currency: "USD", marketCap: nil, isBenchmark: false)

    static var statements: [PostgresQuery] {
        [upsertAsset(sample), assetIDs, lastDates, lastFXDate, mergePrices, mergeFX, allCloses, universe,
         mergeIndex(version: 1), mergeAllocations(version: 1), upsertRiskMetrics(asOf: Day(0), RiskMetrics(), version: 1)]
    }
}
