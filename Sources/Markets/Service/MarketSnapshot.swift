import Foundation
import Postgres

/// Everything the read routes serve except raw prices, loaded in one consistent read and kept
/// in memory until a refresh (or a strategy change) commits: the whole market state is small
/// (thousands of rows), and serving it from memory is what makes cached reads fast.
struct MarketSnapshot: Sendable {
    struct Asset: Sendable, Encodable {
        var id: Int
        var symbol: String
        var name: String
        var sector: String?
        var assetClass: String
        var currency: String
        var marketCap: Double?
        var isBenchmark: Bool
        var firstDate: String?
        var lastDate: String?
        var days: Int

        enum CodingKeys: String, CodingKey {
            case symbol, name, sector, assetClass = "asset_class", currency, marketCap = "market_cap", isBenchmark = "is_benchmark"
            case firstDate = "first_date", lastDate = "last_date", days
        }

        /// Unknown values are null, not absent.
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(symbol, forKey: .symbol)
            try c.encode(name, forKey: .name)
            try c.encode(sector, forKey: .sector)
            try c.encode(assetClass, forKey: .assetClass)
            try c.encode(currency, forKey: .currency)
            try c.encode(marketCap, forKey: .marketCap)
            try c.encode(isBenchmark, forKey: .isBenchmark)
            try c.encode(firstDate, forKey: .firstDate)
            try c.encode(lastDate, forKey: .lastDate)
            try c.encode(days, forKey: .days)
        }
    }

    struct Allocation: Sendable {
        var day: Day
        var symbol: String
        var name: String
        var sector: String?
        var weight: Double
    }

    struct Rate: Sendable {
        var day: Day
        var rate: Decimal
        var value: Double
    }

    var assets: [Asset] = []
    var index: [(day: Day, value: Double)] = []
    var allocations: [Allocation] = []
    var riskAsOf: Day?
    var risk = RiskMetrics()
    var rates: [String: [Rate]] = [:]
    var strategy: StrategyRepository.Stored?
    var benchmark: [(day: Day, close: Double)] = []
    /// Unix time of the last successful refresh of any instance.
    var lastRefresh: Double?

    static func load(_ pool: ConnectionPool) throws -> MarketSnapshot {
        try pool.transaction(isolation: .repeatableRead) { tx in
            var s = MarketSnapshot()
            for row in try tx.query(MarketReadRepository.assets) {
                s.assets.append(Asset(id: try row.decode("id"), symbol: try row.decode("symbol"), name: try row.decode("name"),
                                      sector: try row.decode("sector"), assetClass: try row.decode("asset_class"),
                                      currency: try row.decode("currency"), marketCap: try row.decode("market_cap"),
                                      isBenchmark: try row.decode("is_benchmark"),
                                      firstDate: try row.decode("first_date", as: Day?.self)?.description,
                                      lastDate: try row.decode("last_date", as: Day?.self)?.description, days: try row.decode("days")))
            }
            for row in try tx.query(MarketReadRepository.indexValues) {
                s.index.append((try row.decode("date"), try row.decode("value")))
            }
            for row in try tx.query(MarketReadRepository.allocations) {
                s.allocations.append(Allocation(day: try row.decode("date"), symbol: try row.decode("symbol"), name: try row.decode("name"),
                                                sector: try row.decode("sector"), weight: try row.decode("weight")))
            }
            if let row = try tx.query(MarketReadRepository.latestRiskMetrics).first {
                s.riskAsOf = try row.decode("date")
                var m = RiskMetrics()
                m.totalReturn = try row.decode("total_return")
                m.annualizedReturn = try row.decode("annualized_return")
                m.volatility = try row.decode("volatility")
                m.sharpe = try row.decode("sharpe_ratio")
                m.sortino = try row.decode("sortino")
                m.maxDrawdown = try row.decode("max_drawdown")
                m.currentDrawdown = try row.decode("current_drawdown")
                m.var95 = try row.decode("var_95")
                m.var99 = try row.decode("var_99")
                m.beta = try row.decode("beta")
                m.correlation = try row.decode("correlation")
                s.risk = m
            }
            for code in Currency.codes where code != "USD" {
                var list: [Rate] = []
                for row in try tx.query(MarketReadRepository.fxRates(currency: code, from: nil, to: nil)) {
                    let text: String = try row.decode("rate")
                    guard let d = Decimal(string: text) else { continue }
                    list.append(Rate(day: try row.decode("date"), rate: d, value: Double(text) ?? 0))
                }
                s.rates[code] = list
            }
            s.strategy = try StrategyRepository.load(tx)
            s.lastRefresh = try tx.query(MarketReadRepository.lastRefresh).first?.decode("t", as: Double?.self)
            for row in try tx.query(MarketReadRepository.benchmarkCloses(from: Day(year: 1900, month: 1, day: 1), to: Day(year: 9999, month: 12, day: 31))) {
                s.benchmark.append((try row.decode("date"), try row.decode("close")))
            }
            return s
        }
    }

    /// The latest rate on or before `day` (units of `currency` per USD).
    func rate(_ currency: String, onOrBefore day: Day) -> Decimal? {
        guard let list = rates[currency] else { return nil }
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if list[mid].day <= day { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 ? list[lo - 1].rate : nil
    }
}
