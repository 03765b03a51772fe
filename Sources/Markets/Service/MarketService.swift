import Foundation
import Platform
import Postgres

/// The read use cases of markets and the simulation, served from the cache.
final class MarketService: Sendable {
    let cache: MarketCache
    let pool: ConnectionPool

    init(cache: MarketCache, pool: ConnectionPool) {
        self.cache = cache
        self.pool = pool
    }

    /// Sorted keys: the same data always gives the same bytes, so the same ETag.
    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return Array(try e.encode(value))
    }

    // MARK: Assets

    func assets() throws -> CachedBody {
        try cache.response("assets") { s in CachedBody(dataJSON: try Self.encode(s.assets)) }
    }

    func asset(_ symbol: String) throws -> CachedBody {
        try cache.response("asset:\(symbol)") { s in
            guard let a = s.assets.first(where: { $0.symbol == symbol }) else { throw AppError.notFound("No asset \(symbol)") }
            return CachedBody(dataJSON: try Self.encode(a))
        }
    }

    struct HistoryPoint: Encodable {
        var date: String
        var close: Double
        var rebased: Double
    }

    func assetHistory(_ symbol: String, from: Day?, to: Day?) throws -> CachedBody {
        try cache.response("history:\(symbol):\(from?.description ?? ""):\(to?.description ?? "")") { s in
            guard s.assets.contains(where: { $0.symbol == symbol }) else { throw AppError.notFound("No asset \(symbol)") }
            let rows = try pool.transaction { tx in try tx.query(MarketReadRepository.closes(symbol: symbol, from: from, to: to)) }
            var points: [HistoryPoint] = []
            var base: Double?
            for row in rows {
                let close: Double = try row.decode("close")
                base = base ?? close
                points.append(HistoryPoint(date: try row.decode("date", as: Day.self).description, close: close, rebased: close / base! * 100))
            }
            return CachedBody(dataJSON: try Self.encode(["symbol": AnyEncodable(symbol), "points": AnyEncodable(points)]))
        }
    }

    // MARK: Prices (keyset pagination straight from the database)

    func prices(symbol: String?, from: Day?, to: Day?, after: (Day, Int)?, limit: Int) throws -> CachedBody {
        let key = "prices:\(symbol ?? ""):\(from?.description ?? ""):\(to?.description ?? ""):\(after.map { "\($0.0.number),\($0.1)" } ?? ""):\(limit)"
        return try cache.response(key) { s in
            let names = Dictionary(s.assets.map { ($0.id, $0.symbol) }, uniquingKeysWith: { a, _ in a })
            let lo = from ?? Day(year: 1900, month: 1, day: 1), hi = to ?? Day(year: 9999, month: 12, day: 31)
            let query: PostgresQuery
            if let symbol {
                guard let asset = s.assets.first(where: { $0.symbol == symbol }) else { throw AppError.notFound("No asset \(symbol)") }
                // (date, id) > (d, c) for one asset id: after d, or on d itself when id > c.
                let afterDate = after.map { asset.id > $0.1 ? $0.0 - 1 : $0.0 } ?? lo - 1
                query = MarketReadRepository.prices(assetID: asset.id, from: lo, to: hi, afterDate: afterDate, limit: limit)
            } else {
                query = MarketReadRepository.prices(from: lo, to: hi, after: after ?? (lo - 1, 0), limit: limit)
            }
            let rows = try pool.transaction { tx in
                try tx.query(MarketReadRepository.genericPlans)
                return try tx.query(query)
            }
            var out: [UInt8] = [UInt8(ascii: "[")]
            out.reserveCapacity(rows.count * 130)
            var last: (Day, Int)?
            var count = 0
            for row in rows {
                let day: Day = try row.decode("date")
                let id: Int = try row.decode("asset_id")
                last = (day, id)
                count += 1
                // Rows of an asset deleted meanwhile are skipped; the cursor still moves past them.
                guard let name = names[id] else { continue }
                if out.count > 1 { out.append(UInt8(ascii: ",")) }
                JSONWriter.appendRaw("{\"symbol\":", to: &out)
                JSONWriter.appendString(name, to: &out)
                JSONWriter.appendRaw(",\"date\":\"\(day)\",\"open\":\(Self.number(try row.decode("open", as: Double?.self))),\"high\":\(Self.number(try row.decode("high", as: Double?.self))),\"low\":\(Self.number(try row.decode("low", as: Double?.self))),\"close\":\(Self.number(try row.decode("close", as: Double.self))),\"volume\":\(try row.decode("volume", as: Int.self))}", to: &out)
            }
            out.append(UInt8(ascii: "]"))
            var meta: [(String, String)] = [("limit", String(limit))]
            if count == limit, let last {
                meta.append(("next_cursor", "\"" + PageCursor([last.0.description, String(last.1)]).encoded + "\""))
            } else {
                meta.append(("next_cursor", "null"))
            }
            return CachedBody(dataJSON: out, meta: meta)
        }
    }

    /// A JSON number, or null for nil and non-finite values.
    static func number(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "null" }
        return "\(v)"
    }

    // MARK: Index

    struct Weight: Encodable {
        var symbol: String
        var name: String
        var sector: String?
        var weight: Double

        enum CodingKeys: String, CodingKey { case symbol, name, sector, weight }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(symbol, forKey: .symbol)
            try c.encode(name, forKey: .name)
            try c.encode(sector, forKey: .sector)
            try c.encode(weight, forKey: .weight)
        }
    }

    func current() throws -> CachedBody {
        try cache.response("index:current") { s in
            guard let last = s.allocations.last?.day else { throw AppError.notFound("The index has no allocations yet; run a refresh") }
            let weights = s.allocations.filter { $0.day == last }.map { Weight(symbol: $0.symbol, name: $0.name, sector: $0.sector, weight: $0.weight) }
            // The rebalance and the latest index value are of different days: each has its date.
            return CachedBody(dataJSON: try Self.encode(["date": AnyEncodable(last.description), "rebalance_date": AnyEncodable(last.description),
                                                         "index_value": AnyEncodable(s.index.last?.value), "index_date": AnyEncodable(s.index.last?.day.description),
                                                         "strategy_version": AnyEncodable(s.strategy?.version), "weights": AnyEncodable(weights)]))
        }
    }

    func history(from: Day?, to: Day?) throws -> CachedBody {
        try cache.response("index:history:\(from?.description ?? ""):\(to?.description ?? "")") { s in
            // Hand-written JSON: the largest cached body, and one number format for every value.
            var out: [UInt8] = [UInt8(ascii: "[")]
            out.reserveCapacity(s.index.count * 40)
            var first = true
            for p in s.index where inRange(p.day, from, to) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out += Array("{\"date\":\"\(p.day)\",\"value\":\(p.value)}".utf8)
            }
            out.append(UInt8(ascii: "]"))
            return CachedBody(dataJSON: out)
        }
    }

    struct AllocationRow: Encodable {
        var date: String
        var symbol: String
        var weight: Double
    }

    func allocations(on date: Day?, from: Day?, to: Day?) throws -> CachedBody {
        try cache.response("index:allocations:\(date?.description ?? ""):\(from?.description ?? ""):\(to?.description ?? "")") { s in
            var rows: [MarketSnapshot.Allocation]
            if let date {
                let day = s.allocations.last(where: { $0.day <= date })?.day
                rows = day.map { d in s.allocations.filter { $0.day == d } } ?? []
            } else {
                rows = s.allocations.filter { inRange($0.day, from, to) }
            }
            return CachedBody(dataJSON: try Self.encode(rows.map { AllocationRow(date: $0.day.description, symbol: $0.symbol, weight: $0.weight) }))
        }
    }

    struct RiskBody: Encodable {
        var metrics: RiskMetrics
        var asOf: String?
        func encode(to encoder: Encoder) throws {
            try metrics.encodeWithNulls(to: encoder)
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(asOf, forKey: Key(stringValue: "as_of")!)
        }
    }

    func riskMetrics() throws -> CachedBody {
        try cache.response("index:risk") { s in CachedBody(dataJSON: try Self.encode(RiskBody(metrics: s.risk, asOf: s.riskAsOf?.description))) }
    }

    // MARK: Benchmark

    struct Performance: Encodable {
        var totalReturn: Double?
        var annualizedReturn: Double?
        var volatility: Double?
        var sharpe: Double?
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(totalReturn, forKey: Key(stringValue: "total_return")!)
            try c.encode(annualizedReturn, forKey: Key(stringValue: "annualized_return")!)
            try c.encode(volatility, forKey: Key(stringValue: "volatility")!)
            try c.encode(sharpe, forKey: Key(stringValue: "sharpe")!)
        }
    }

    func compare(start: Day?, end: Day?) throws -> CachedBody {
        try cache.response("benchmark:\(start?.description ?? ""):\(end?.description ?? "")") { s in
            guard let config = s.strategy?.config else { throw AppError.notFound("No strategy configuration") }
            let index = s.index.filter { inRange($0.day, start, end) }
            let bench = s.benchmark.filter { inRange($0.day, start, end) }
            guard let first = index.first, let last = index.last else { throw AppError.notFound("No index values in this range") }
            func performance(_ values: [Double]) -> Performance {
                guard let base = values.first, base > 0 else { return Performance() }
                let v = values.map { $0 / base * 100 }
                var r: [Double?] = [nil]
                for k in 1..<max(1, v.count) { r.append(v[k] / v[k - 1] - 1) }
                let m = RiskMetrics.compute(values: v, dailyReturns: r, benchmark: [], config: config)
                return Performance(totalReturn: m.totalReturn, annualizedReturn: m.annualizedReturn, volatility: m.volatility, sharpe: m.sharpe)
            }
            let i = performance(index.map(\.value)), b = performance(bench.map(\.close))
            let out: [String: AnyEncodable] = [
                "start": AnyEncodable(first.day.description), "end": AnyEncodable(last.day.description),
                "benchmark_symbol": AnyEncodable(s.assets.first(where: \.isBenchmark)?.symbol),
                "index": AnyEncodable(i), "benchmark": AnyEncodable(b),
                "outperformance": AnyEncodable(Performance(
                    totalReturn: zip2(i.totalReturn, b.totalReturn, -), annualizedReturn: zip2(i.annualizedReturn, b.annualizedReturn, -),
                    volatility: zip2(i.volatility, b.volatility, -), sharpe: zip2(i.sharpe, b.sharpe, -))),
            ]
            return CachedBody(dataJSON: try Self.encode(out))
        }
    }

    // MARK: Currencies and FX

    struct CurrencyRow: Encodable {
        var code: String
        var name: String
        var minorUnits: Int
        var latestRate: Double?
        var latestRateDate: String?
        enum CodingKeys: String, CodingKey { case code, name, minorUnits = "minor_units", latestRate = "latest_rate", latestRateDate = "latest_rate_date" }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(code, forKey: .code)
            try c.encode(name, forKey: .name)
            try c.encode(minorUnits, forKey: .minorUnits)
            try c.encode(latestRate, forKey: .latestRate)
            try c.encode(latestRateDate, forKey: .latestRateDate)
        }
    }

    func currencies() throws -> CachedBody {
        try cache.response("currencies") { s in
            CachedBody(dataJSON: try Self.encode(Currency.all.map { c in
                let last = s.rates[c.code]?.last
                return CurrencyRow(code: c.code, name: c.name, minorUnits: c.minorUnits, latestRate: c.code == "USD" ? 1 : last?.value,
                                   latestRateDate: last?.day.description)
            }))
        }
    }

    struct RateRow: Encodable {
        var date: String
        var rate: Double
    }

    func fxRates(currency: String, from: Day?, to: Day?) throws -> CachedBody {
        try cache.response("fx:\(currency):\(from?.description ?? ""):\(to?.description ?? "")") { s in
            let rows = (s.rates[currency] ?? []).filter { inRange($0.day, from, to) }
            return CachedBody(dataJSON: try Self.encode(["currency": AnyEncodable(currency), "base": AnyEncodable("USD"),
                                                         "rates": AnyEncodable(rows.map { RateRow(date: $0.day.description, rate: $0.value) })]))
        }
    }

    // MARK: Simulation

    func simulate(_ input: Simulation.Input) throws -> Simulation.Output {
        let s = try cache.snapshot()
        do {
            return try Simulation.run(input, index: s.index) { day in s.rate(input.currency.code, onOrBefore: day) }
        } catch {
            switch error {
            case .noIndexData: throw AppError.notFound("The index has no values yet; run a refresh")
            case .startAfterLastIndexDate, .startAfterEnd: throw AppError.validation([FieldIssue(field: "start_date", issue: error.description)])
            case .endBeforeFirstIndexDate: throw AppError.validation([FieldIssue(field: "end_date", issue: error.description)])
            case .missingRate, .invalidRate: throw AppError.validation([FieldIssue(field: "currency", issue: error.description)])
            }
        }
    }
}

/// `day` within the optional bounds (inclusive).
func inRange(_ day: Day, _ from: Day?, _ to: Day?) -> Bool {
    if let from, day < from { return false }
    if let to, day > to { return false }
    return true
}

func zip2(_ a: Double?, _ b: Double?, _ f: (Double, Double) -> Double) -> Double? {
    guard let a, let b else { return nil }
    let v = f(a, b)
    return v.isFinite ? v : nil
}

/// A coding key from any string.
struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Wraps values of different types for one JSON object; nil encodes as null.
struct AnyEncodable: Encodable {
    let encodeValue: (Encoder) throws -> Void
    init<T: Encodable>(_ value: T?) {
        encodeValue = { encoder in
            var c = encoder.singleValueContainer()
            if let value { try c.encode(value) } else { try c.encodeNil() }
        }
    }
    func encode(to encoder: Encoder) throws { try encodeValue(encoder) }
}

extension RiskMetrics {
    /// Every metric by its name, null where undefined (the synthesized encoder would omit nils).
    func encodeWithNulls(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(totalReturn, forKey: .totalReturn)
        try c.encode(annualizedReturn, forKey: .annualizedReturn)
        try c.encode(volatility, forKey: .volatility)
        try c.encode(sharpe, forKey: .sharpe)
        try c.encode(sortino, forKey: .sortino)
        try c.encode(maxDrawdown, forKey: .maxDrawdown)
        try c.encode(currentDrawdown, forKey: .currentDrawdown)
        try c.encode(var95, forKey: .var95)
        try c.encode(var99, forKey: .var99)
        try c.encode(beta, forKey: .beta)
        try c.encode(correlation, forKey: .correlation)
    }
}
