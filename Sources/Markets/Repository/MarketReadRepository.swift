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

    /// A keyset page of prices ordered by (date, symbol id); `after` is the last row of the previous page.
    static func prices(symbol: String?, from: Day?, to: Day?, after: (day: Day, assetID: Int)?, limit: Int) -> PostgresQuery {
        """
        SELECT p.asset_id, a.symbol, p.date, p.open, p.high, p.low, p.close, p.volume
        FROM prices p JOIN assets a ON a.id = p.asset_id
        WHERE a.deleted_at IS NULL AND (\(symbol)::text IS NULL OR a.symbol = \(symbol)::text)
          AND (\(from)::date IS NULL OR p.date >= \(from)::date) AND (\(to)::date IS NULL OR p.date <= \(to)::date)
          AND (\(after?.day)::date IS NULL OR (p.date, p.asset_id) > (\(after?.day)::date, \(after?.assetID)::bigint))
        ORDER BY p.date, p.asset_id
        LIMIT \(limit)
        """
    }

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

    static var statements: [PostgresQuery] {
        [assets, closes(symbol: "X", from: nil, to: nil), prices(symbol: nil, from: nil, to: nil, after: (Day(0), 1), limit: 1),
         indexValues, allocations, latestRiskMetrics, fxRates(currency: "EUR", from: nil, to: nil), benchmarkCloses(from: Day(0), to: Day(1))]
    }
}
