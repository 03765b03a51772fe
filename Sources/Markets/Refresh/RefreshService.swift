import Foundation
import Logging
import Postgres
import SystemSupport

/// The refresh use case: fetch from the provider, validate everything, export what may change,
/// then in ONE transaction merge prices and rates, recompute the index, allocations and risk
/// metrics from the stored data, and NOTIFY every instance. Any failure leaves the database
/// exactly as it was; nothing deletes a price.
public final class RefreshService: Sendable {
    public struct Settings: Sendable {
        public var overlapDays = 5
        public var exportDirectory = "backups"
        public var exportsKept = 10
        public var fault: RefreshFault?
        public init() {}
    }

    public static let channel = "markets_refresh"

    let provider: any MarketDataProvider
    let settings: Settings
    let metrics: MarketMetrics
    let clock: @Sendable () -> Day

    init(provider: any MarketDataProvider, settings: Settings, metrics: MarketMetrics, clock: @escaping @Sendable () -> Day = { Day.today() }) {
        self.provider = provider
        self.settings = settings
        self.metrics = metrics
        self.clock = clock
    }

    /// Runs one refresh on `pool`; `runID` goes into the NOTIFY payload.
    public func refresh(mode: RefreshMode, pool: ConnectionPool, runID: Int64, logger: Logger,
                        progress: (Int, String) -> Void = { _, _ in }) throws -> RefreshStats {
        let started = MonotonicClock.milliseconds()
        var stats = RefreshStats(mode: mode.rawValue, provider: provider.name)
        var mark = started
        var timings: [String: Int] = [:]
        func lap(_ name: String) {
            let now = MonotonicClock.milliseconds()
            timings[name] = Int(now - mark)
            mark = now
        }
        do {
            var result = try run(mode: mode, pool: pool, runID: runID, stats: &stats, lap: lap, progress: progress)
            result.timings = timings
            result.durationMs = Int(MonotonicClock.milliseconds() - started)
            metrics.refreshFinished(outcome: "succeeded", stats: result)
            return result
        } catch {
            metrics.refreshFinished(outcome: "failed", stats: nil)
            if error is ProviderError { metrics.providerErrors.inc() }
            throw error
        }
    }

    private func run(mode: RefreshMode, pool: ConnectionPool, runID: Int64, stats: inout RefreshStats,
                     lap: (String) -> Void, progress: (Int, String) -> Void) throws -> RefreshStats {
        let today = clock()
        let callsBefore = provider.calls
        // 1. Where each asset stands (outside the transaction: reading only).
        let (lastDates, lastFX) = try pool.transaction { tx -> ([String: Day], Day?) in
            var last: [String: Day] = [:]
            for row in try tx.query(RefreshRepository.lastDates) {
                if let d = try row.decode("last_date", as: Day?.self) { last[try row.decode("symbol")] = d }
            }
            return (last, try tx.query(RefreshRepository.lastFXDate).first?.decode("last_date", as: Day?.self))
        }
        // 2. Fetch and validate everything before writing anything.
        progress(5, "fetching assets")
        let assets = try provider.assets()
        var problems = IncomingDataValidation.problems(assets: assets)
        guard problems.isEmpty else { throw ProviderError("invalid asset list: " + problems.prefix(5).joined(separator: "; ")) }
        let requests = assets.map { a -> (symbol: String, from: Day?) in
            (a.symbol, mode == .full ? nil : lastDates[a.symbol].map { $0 - settings.overlapDays })
        }
        progress(10, "fetching prices")
        var bars = try provider.prices(requests, through: today)
        if settings.fault == .providerHalfway { throw ProviderError("injected fault: the provider failed half-way") }
        for a in assets {
            bars[a.symbol] = bars[a.symbol] ?? []
            problems += IncomingDataValidation.problems(symbol: a.symbol, bars: bars[a.symbol]!, today: today)
        }
        let fxFrom = mode == .full ? nil : lastFX.map { $0 - settings.overlapDays }
        progress(30, "fetching exchange rates")
        let fx = try provider.fxRates(Currency.codes.filter { $0 != "USD" }, from: fxFrom, through: today)
        problems += IncomingDataValidation.problems(fx: fx, today: today)
        guard problems.isEmpty else { throw ProviderError("invalid market data: " + problems.prefix(5).joined(separator: "; ")) }
        stats.providerCalls = provider.calls - callsBefore
        lap("fetch")

        // 3. Export what the transaction may change.
        progress(40, "exporting the rows the refresh may change")
        let exportFrom = requests.compactMap(\.from).min().map { min($0, fxFrom ?? $0) }
        let pricesFrom = requests.contains { $0.from == nil } ? nil : exportFrom
        stats.export = try RefreshExport.write(pool: pool, pricesFrom: pricesFrom, directory: settings.exportDirectory,
                                               keep: settings.exportsKept).path
        lap("export")

        // 4. One transaction.
        progress(50, "writing")
        let source = provider.name
        try pool.transaction { tx in
            try RefreshRepository.prepareSession(tx)
            for a in assets { try tx.query(RefreshRepository.upsertAsset(a)) }
            var ids: [String: Int] = [:]
            for row in try tx.query(RefreshRepository.assetIDs) { ids[try row.decode("symbol")] = try row.decode("id") }
            var lines: [[UInt8]] = []
            for a in assets {
                for b in bars[a.symbol] ?? [] {
                    lines.append(PostgresCopy.line([String(ids[a.symbol]!), b.day.description, b.open.map { "\($0)" }, b.high.map { "\($0)" },
                                                    b.low.map { "\($0)" }, "\(b.close)", b.volume.map(String.init), source]))
                }
            }
            try tx.copyIn(unsafeSQL: "COPY incoming_prices (asset_id, date, open, high, low, close, volume, source) FROM STDIN", rows: lines)
            var byID: [Int: RefreshStats.Counts] = [:]
            for row in try tx.query(RefreshRepository.mergePrices) {
                var c = RefreshStats.Counts()
                c.inserted = try row.decode("inserted")
                c.updated = try row.decode("updated")
                byID[try row.decode("asset_id")] = c
            }
            for a in assets {
                var c = byID[ids[a.symbol]!] ?? RefreshStats.Counts()
                c.unchanged = (bars[a.symbol]?.count ?? 0) - c.inserted - c.updated
                stats.assets[a.symbol] = c
                stats.prices.inserted += c.inserted
                stats.prices.updated += c.updated
                stats.prices.unchanged += c.unchanged
            }
            try self.injectAfterPrices(tx)
            let fxLines = fx.map { PostgresCopy.line([$0.currency, $0.day.description, "\($0.rate)", source]) }
            try tx.copyIn(unsafeSQL: "COPY incoming_fx (quote, date, rate, source) FROM STDIN", rows: fxLines)
            if let row = try tx.query(RefreshRepository.mergeFX).first {
                stats.fx.inserted = try row.decode("inserted")
                stats.fx.updated = try row.decode("updated")
                stats.fx.unchanged = fx.count - stats.fx.inserted - stats.fx.updated
            }
            lap("merge")
            progress(70, "recomputing the index")
            let computed = try IndexRecompute.run(tx, stats: &stats)
            lap("recompute")
            if settings.fault == .pauseBeforeCommit { usleep(15_000_000) }
            let payload = #"{"run_id":\#(runID),"last_date":\#(computed.lastDate.map { "\"\($0)\"" } ?? "null"),"index_value":\#(computed.lastValue.map { "\($0)" } ?? "null")}"#
            try tx.query("SELECT pg_notify(\(Self.channel), \(payload))")
        }
        lap("commit")
        progress(100, "done")
        return stats
    }

    private func injectAfterPrices(_ tx: Transaction) throws {
        switch settings.fault {
        case .constraintViolation:
            try tx.query("INSERT INTO prices (asset_id, date, close) SELECT id, DATE '2019-01-02', -1 FROM assets LIMIT 1")
        case .connectionKilled:
            try tx.query("SELECT pg_terminate_backend(pg_backend_pid())")
        default:
            break
        }
    }
}

extension Day {
    /// Today in UTC.
    public static func today() -> Day { Day(Int((Date().timeIntervalSince1970 / 86_400).rounded(.down))) }
}
