import Postgres

/// The read side of markets: SQL only, each statement parameterized.
enum MarketReadRepository: StatementCatalog {
    static let assets: PostgresQuery = """
        SELECT a.id, a.symbol, a.name, a.sector, a.asset_class, a.currency, a.market_cap, a.is_benchmark,
               s.first_date, s.last_date, coalesce(s.days, 0) AS days
        FROM assets a
        LEFT JOIN LATERAL (SELECT min(p.date) AS first_date, max(p.date) AS last_date, count(*) AS days
                           FROM prices p WHERE p.asset_id = a.id) s ON true
        WHERE a.deleted_at IS NULL ORDER BY a.is_benchmark, a.symbol
        """

    static func closes(symbol: String, from: Day?, to: Day?) -> PostgresQuery {
        """
        SELECT p.date, p.close FROM prices p JOIN assets a ON a.id = p.asset_id
        WHERE a.symbol = \(symbol) AND a.deleted_at IS NULL
          AND (\(from)::date IS NULL OR p.date >= \(from)::date) AND (\(to)::date IS NULL OR p.date <= \(to)::date)
        ORDER BY p.date
        """
    }

    /// A keyset page of one asset's prices after `afterDate`, within [from, to]. Plain bounds
    /// only, so one generic plan serves every page (planning the 47 partitions again per
    /// request cost more than running the query).
    static func prices(assetID: Int, from: Day, to: Day, afterDate: Day, limit: Int) -> PostgresQuery {
        """
        SELECT asset_id, date, open, high, low, close, volume FROM prices
        WHERE asset_id = \(assetID) AND date >= \(from) AND date <= \(to) AND date > \(afterDate)
        ORDER BY date LIMIT \(limit)
        """
    }

    /// A keyset page of every asset's prices ordered by (date, asset id) after the cursor.
    static func prices(from: Day, to: Day, after: (day: Day, assetID: Int), limit: Int) -> PostgresQuery {
        """
        SELECT asset_id, date, open, high, low, close, volume FROM prices
        WHERE date >= \(from) AND date <= \(to) AND (date, asset_id) > (\(after.day), \(after.assetID))
        ORDER BY date, asset_id LIMIT \(limit)
        """
    }

    static let genericPlans: PostgresQuery = "SET LOCAL plan_cache_mode = force_generic_plan"

    static let indexValues: PostgresQuery = "SELECT date, value FROM index_values ORDER BY date"

    static let allocations: PostgresQuery = """
        SELECT al.date, a.symbol, a.name, a.sector, al.weight
        FROM allocations al JOIN assets a ON a.id = al.asset_id ORDER BY al.date, a.symbol
        """

    static let latestRiskMetrics: PostgresQuery = """
        SELECT date, total_return, annualized_return, volatility, sharpe_ratio, sortino, max_drawdown, current_drawdown,
               var_95, var_99, beta, correlation
        FROM risk_metrics ORDER BY date DESC LIMIT 1
        """

    static func fxRates(currency: String, from: Day?, to: Day?) -> PostgresQuery {
        """
        SELECT date, rate::text AS rate FROM fx_rates
        WHERE base = 'USD' AND quote = \(currency)
          AND (\(from)::date IS NULL OR date >= \(from)::date) AND (\(to)::date IS NULL OR date <= \(to)::date)
        ORDER BY date
        """
    }

    static func benchmarkCloses(from: Day, to: Day) -> PostgresQuery {
        """
        SELECT p.date, p.close FROM prices p JOIN assets a ON a.id = p.asset_id
        WHERE a.is_benchmark AND a.deleted_at IS NULL AND p.date BETWEEN \(from) AND \(to)
        ORDER BY p.date
        """
    }

    /// The last successful refresh of any instance (for the staleness gauge and alert).
    static let lastRefresh: PostgresQuery = """
        SELECT extract(epoch FROM max(finished_at))::float8 AS t FROM job_runs WHERE job = 'price_refresh' AND status = 'succeeded'
        """

    static var statements: [PostgresQuery] {
        [lastRefresh, assets, closes(symbol: "X", from: nil, to: nil), prices(assetID: 1, from: Day(0), to: Day(1), afterDate: Day(0), limit: 1), prices(from: Day(0), to: Day(1), after: (Day(0), 1), limit: 1),
         indexValues, allocations, latestRiskMetrics, fxRates(currency: "EUR", from: nil, to: nil), benchmarkCloses(from: Day(0), to: Day(1))]
    }
}
