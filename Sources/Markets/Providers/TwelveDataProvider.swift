import Foundation
import HTTPClient
import Synchronization
import SystemSupport

/// PRICE_PROVIDER=twelvedata: the TwelveData REST API over HTTPS. `time_series` (interval
/// 1day, up to 5000 points, several symbols per call) for assets and for USD/XXX pairs.
/// Every response is validated (error payloads, missing or non-numeric fields); the plan's
/// credits per minute are respected; 429, 5xx and network errors are retried with exponential
/// backoff and jitter; a circuit breaker makes a dead provider fail fast.
public final class TwelveDataProvider: MarketDataProvider, @unchecked Sendable {
    public let name = "twelvedata"
    let settings: TwelveDataSettings
    let symbols: [String]
    let benchmark: String
    let client: HTTPClient
    let base: URLParts
    let metrics: MarketMetrics?
    private let state = Mutex(State())
    /// Milliseconds on a monotonic clock, and a sleep (tests replace both).
    var clock: @Sendable () -> Int64 = { MonotonicClock.milliseconds() }
    var sleep: @Sendable (Int64) -> Void = { ms in if ms > 0 { usleep(UInt32(min(ms, 60_000)) * 1000) } }
    var retryBaseMs: Int64 = 500

    struct State {
        var breaker = CircuitBreaker()
        var credits = CreditWindow(perMinute: 8)
        var calls = 0
    }

    init(settings: TwelveDataSettings, symbols: [String], benchmark: String, metrics: MarketMetrics?) throws {
        self.settings = settings
        self.symbols = symbols
        self.benchmark = benchmark
        self.metrics = metrics
        guard let base = URLParts(settings.baseURL), base.secure else { throw ProviderError("TWELVEDATA_BASE_URL must be an https:// URL") }
        self.base = base
        client = try HTTPClient(caFile: settings.caFile, timeoutMs: settings.timeoutMs, maxResponseBytes: 64 << 20)
        state.withLock { $0.credits = CreditWindow(perMinute: settings.creditsPerMinute) }
    }

    public var calls: Int { state.withLock { $0.calls } }

    /// TwelveData has no asset metadata call in the free plan worth its credits: names come
    /// from the symbol list; sectors and market caps are unknown (market-cap weights fall back
    /// to equal weight, as the specification says).
    public func assets() throws -> [AssetInfo] {
        (symbols + [benchmark]).map {
            AssetInfo(symbol: $0, name: DemoProvider.profiles[$0]?.name ?? $0, sector: DemoProvider.profiles[$0]?.sector,
                      assetClass: $0 == benchmark ? "index" : DemoProvider.profiles[$0]?.assetClass ?? "equity", currency: "USD",
                      marketCap: nil, isBenchmark: $0 == benchmark)
        }
    }

    /// TwelveData's name for a symbol (indices are written without the caret, e.g. GSPC).
    static func upstreamSymbol(_ s: String) -> String { s.hasPrefix("^") ? String(s.dropFirst()) : s }

    public func prices(_ requests: [(symbol: String, from: Day?)], through: Day) throws -> [String: [PriceBar]] {
        var out: [String: [PriceBar]] = [:]
        // One batch per start date, each within the credits of one minute.
        let groups = Dictionary(grouping: requests, by: { $0.from?.number ?? -1 })
        for (_, group) in groups.sorted(by: { $0.key < $1.key }) {
            for batch in stride(from: 0, to: group.count, by: max(1, settings.creditsPerMinute)).map({ Array(group[$0..<min($0 + settings.creditsPerMinute, group.count)]) }) {
                let names = batch.map { Self.upstreamSymbol($0.symbol) }
                let series = try timeSeries(names, from: batch[0].from, through: through)
                for r in batch { out[r.symbol] = try Self.bars(series[Self.upstreamSymbol(r.symbol)], symbol: r.symbol) }
            }
        }
        return out
    }

    public func fxRates(_ currencies: [String], from: Day?, through: Day) throws -> [FXRate] {
        var out: [FXRate] = []
        let pairs = currencies.filter { $0 != "USD" }
        for start in stride(from: 0, to: pairs.count, by: max(1, settings.creditsPerMinute)) {
            let batch = Array(pairs[start..<min(start + settings.creditsPerMinute, pairs.count)])
            let series = try timeSeries(batch.map { "USD/\($0)" }, from: from, through: through)
            for code in batch {
                for bar in try Self.bars(series["USD/\(code)"], symbol: "USD/\(code)") {
                    out.append(FXRate(day: bar.day, currency: code, rate: bar.close))
                }
            }
        }
        return out
    }

    /// One time_series call (retried, rate-limited, behind the breaker); the values keyed by symbol.
    func timeSeries(_ names: [String], from: Day?, through: Day) throws -> [String: Any] {
        var query = "symbol=\(QueryEncoding.encode(names.joined(separator: ",")))&interval=1day&outputsize=5000&order=ASC&format=JSON"
        if let from { query += "&start_date=\(from)" }
        query += "&end_date=\(through)&apikey=\(QueryEncoding.encode(settings.apiKey))"
        var url = base
        url.target = (base.target.hasSuffix("/") ? String(base.target.dropLast()) : base.target) + "/time_series?" + query
        let object = try call(url, credits: names.count)
        if names.count == 1 { return [names[0]: object] }
        var out: [String: Any] = [:]
        for n in names { out[n] = object[n] }
        return out
    }

    enum Attempt {
        case done([String: Any])
        case retry(String, afterMs: Int64?)
    }

    func call(_ url: URLParts, credits: Int) throws -> [String: Any] {
        var lastProblem = "no attempt"
        for attempt in 0...settings.maxRetries {
            let allowed = state.withLock { $0.breaker.allow(now: clock()) }
            guard allowed else {
                updateGauge()
                throw ProviderError("TwelveData circuit breaker is open after repeated failures (\(lastProblem)); failing fast")
            }
            let wait = state.withLock { $0.credits.delay(for: credits, now: clock()) }
            sleep(wait)
            state.withLock {
                $0.credits.spend(credits, now: clock())
                $0.calls += 1
            }
            switch try once(url) {
            case .done(let object):
                state.withLock { $0.breaker.succeeded() }
                updateGauge()
                return object
            case .retry(let problem, let after):
                lastProblem = problem
                state.withLock { $0.breaker.failed(now: clock()) }
                updateGauge()
                guard attempt < settings.maxRetries else { break }
                let backoff = retryBaseMs << Int64(min(attempt, 10))
                sleep(after ?? (backoff + Int64.random(in: 0...max(1, backoff / 2))))
            }
        }
        throw ProviderError("TwelveData failed after \(settings.maxRetries + 1) attempts: \(lastProblem)")
    }

    private func updateGauge() {
        let v = state.withLock { $0.breaker.gaugeValue }
        metrics?.breakerState.set(v)
    }

    /// One exchange: a definitive answer, a retryable problem, or a thrown definitive failure.
    func once(_ url: URLParts) throws -> Attempt {
        let response: HTTPClient.Response
        do {
            response = try client.send(method: "GET", url: url, headers: [("Accept", "application/json")])
        } catch let e as HTTPClient.Failure {
            // A certificate that does not verify is not retried: it will not get better.
            if e.kind == .tls && e.message.contains("certificate verification failed") { throw ProviderError("TwelveData TLS: \(e.message)") }
            return .retry("network: \(e)", afterMs: nil)
        }
        let retryAfter = response.header("Retry-After").flatMap { Int64($0) }.map { min($0, 60) * 1000 }
        if response.status == 429 { return .retry("HTTP 429 (rate limited)", afterMs: retryAfter) }
        if response.status >= 500 { return .retry("HTTP \(response.status)", afterMs: retryAfter) }
        guard response.status == 200 else { throw ProviderError("TwelveData answered HTTP \(response.status)") }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] else {
            return .retry("malformed JSON body", afterMs: nil)
        }
        // Errors arrive as {"code": 4xx, "message": ..., "status": "error"}, often with HTTP 200.
        if let status = object["status"] as? String, status == "error" {
            let code = object["code"] as? Int ?? 0
            let message = object["message"] as? String ?? "unknown error"
            if code == 429 || code >= 500 { return .retry("error \(code): \(message)", afterMs: nil) }
            throw ProviderError("TwelveData error \(code): \(message)")
        }
        return .done(object)
    }

    /// The bars of one symbol's series object, every field checked.
    static func bars(_ series: Any?, symbol: String) throws -> [PriceBar] {
        guard let object = series as? [String: Any] else { throw ProviderError("TwelveData returned no series for \(symbol)") }
        if let status = object["status"] as? String, status == "error" {
            throw ProviderError("TwelveData error for \(symbol): \(object["message"] as? String ?? "unknown")")
        }
        guard let values = object["values"] as? [[String: Any]] else { throw ProviderError("TwelveData series for \(symbol) has no values array") }
        var out: [PriceBar] = []
        for (i, v) in values.enumerated() {
            func number(_ key: String, required: Bool) throws -> Double? {
                guard let raw = v[key] else {
                    if required { throw ProviderError("TwelveData \(symbol) value \(i): missing \(key)") }
                    return nil
                }
                guard let text = raw as? String, let d = Double(text), d.isFinite else {
                    throw ProviderError("TwelveData \(symbol) value \(i): \(key) is not a number")
                }
                return d
            }
            guard let dt = v["datetime"] as? String, let day = Day(iso: String(dt.prefix(10))) else {
                throw ProviderError("TwelveData \(symbol) value \(i): missing or invalid datetime")
            }
            let volume = try number("volume", required: false).map { Int64(max(0, $0)) }
            out.append(PriceBar(day: day, open: try number("open", required: false), high: try number("high", required: false),
                                low: try number("low", required: false), close: try number("close", required: true)!, volume: volume))
        }
        return out.sorted { $0.day < $1.day }
    }
}
