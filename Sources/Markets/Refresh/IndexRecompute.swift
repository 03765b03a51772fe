import Postgres

/// Recomputes the index, allocations and risk metrics from the stored closes, inside the
/// caller's transaction, and writes only what changed.
enum IndexRecompute {
    struct Outcome {
        var lastDate: Day?
        var lastValue: Double?
    }

    /// The caller has run `RefreshRepository.prepareSession` in this transaction.
    static func run(_ tx: Transaction, stats: inout RefreshStats) throws -> Outcome {
        guard let strategy = try StrategyRepository.load(tx) else { throw ExportError("no active strategy configuration") }
        var universe: [PriceSeries] = []
        var benchmark: PriceSeries?
        var ids: [String: Int] = [:]
        var isBenchmark: [String: Bool] = [:]
        var caps: [String: Double?] = [:]
        for row in try tx.query(RefreshRepository.universe) {
            let symbol: String = try row.decode("symbol")
            ids[symbol] = try row.decode("id")
            isBenchmark[symbol] = try row.decode("is_benchmark")
            caps[symbol] = try row.decode("market_cap", as: Double?.self)
        }
        var series: [String: PriceSeries] = [:]
        for row in try tx.query(RefreshRepository.allCloses) {
            let symbol: String = try row.decode("symbol")
            series[symbol, default: PriceSeries(symbol: symbol, marketCap: caps[symbol] ?? nil, days: [], closes: [])]
                .days.append(try row.decode("date"))
            series[symbol]!.closes.append(try row.decode("close"))
        }
        for symbol in ids.keys.sorted() {
            let s = series[symbol] ?? PriceSeries(symbol: symbol, marketCap: caps[symbol] ?? nil, days: [], closes: [])
            if isBenchmark[symbol] == true { benchmark = s } else { universe.append(s) }
        }
        let result = IndexEngine.compute(universe: universe, benchmark: benchmark, config: strategy.config)
        let metrics = RiskMetrics.compute(values: result.values, dailyReturns: result.dailyReturns, benchmark: result.benchmarkReturns,
                                          config: strategy.config)
        let indexLines = result.dates.indices.map { k in
            PostgresCopy.line([result.dates[k].description, "\(result.values[k])", result.dailyReturns[k].map { "\($0)" }])
        }
        try tx.copyIn(unsafeSQL: "COPY computed_index (date, value, daily_return) FROM STDIN", rows: indexLines)
        let allocationLines = result.allocations.map { a in
            PostgresCopy.line([a.day.description, String(ids[a.symbol]!), "\(a.weight)"])
        }
        try tx.copyIn(unsafeSQL: "COPY computed_allocations (date, asset_id, weight) FROM STDIN", rows: allocationLines)
        stats.indexValues = try derived(tx.query(RefreshRepository.mergeIndex(version: strategy.version)))
        stats.allocations = try derived(tx.query(RefreshRepository.mergeAllocations(version: strategy.version)))
        if let last = result.dates.last {
            try tx.query(RefreshRepository.upsertRiskMetrics(asOf: last, metrics, version: strategy.version))
        }
        stats.strategyVersion = strategy.version
        stats.lastDate = result.dates.last?.description
        stats.indexValue = result.values.last
        return Outcome(lastDate: result.dates.last, lastValue: result.values.last)
    }

    static func derived(_ rows: PostgresRows) throws -> RefreshStats.Derived {
        var d = RefreshStats.Derived()
        if let row = rows.first {
            d.inserted = try row.decode("inserted")
            d.updated = try row.decode("updated")
            d.removed = try row.decode("removed")
        }
        return d
    }
}
