import SystemSupport

/// PRICE_PROVIDER=demo: deterministic seeded market data so a fresh checkout runs offline.
/// Business days from 2018-01-02 to today; per-asset drift and volatility on top of a common
/// market factor; a few missing days per asset; META starts later; USO dips below the default
/// min_price (1.0) in April 2020; daily FX rates for every supported currency except on
/// 25 December and 1 January. Only integer and IEEE arithmetic (no libm), so the same seed gives
/// the same bits on every machine, and a longer run extends a shorter one without changing it.
public struct DemoProvider: MarketDataProvider {
    public let name = "demo"
    public let seed: UInt64
    public let symbols: [String]
    public let benchmark: String
    /// The last day of data: fixed (DEMO_END_DATE, tests), or today at each call.
    let fixedEnd: Day?
    var today: Day { fixedEnd ?? Day.today() }
    public static let firstDay = Day(year: 2018, month: 1, day: 2)

    struct Profile {
        var name: String
        var sector: String?
        var assetClass: String
        var start: Double
        /// Daily drift and volatility, and exposure to the common market factor.
        var drift: Double
        var vol: Double
        var beta: Double
        var marketCap: Double
    }

    static let profiles: [String: Profile] = [
        "AAPL": Profile(name: "Apple Inc.", sector: "Technology", assetClass: "equity", start: 43, drift: 0.0009, vol: 0.017, beta: 1.1, marketCap: 3.4e12),
        "MSFT": Profile(name: "Microsoft Corporation", sector: "Technology", assetClass: "equity", start: 86, drift: 0.0008, vol: 0.015, beta: 1.0, marketCap: 3.1e12),
        "GOOGL": Profile(name: "Alphabet Inc.", sector: "Communication Services", assetClass: "equity", start: 54, drift: 0.0006, vol: 0.017, beta: 1.0, marketCap: 2.1e12),
        "AMZN": Profile(name: "Amazon.com, Inc.", sector: "Consumer Discretionary", assetClass: "equity", start: 59, drift: 0.0006, vol: 0.019, beta: 1.1, marketCap: 1.9e12),
        "META": Profile(name: "Meta Platforms, Inc.", sector: "Communication Services", assetClass: "equity", start: 190, drift: 0.0007, vol: 0.022, beta: 1.2, marketCap: 1.3e12),
        "TSLA": Profile(name: "Tesla, Inc.", sector: "Consumer Discretionary", assetClass: "equity", start: 21, drift: 0.0014, vol: 0.035, beta: 1.5, marketCap: 0.8e12),
        "NVDA": Profile(name: "NVIDIA Corporation", sector: "Technology", assetClass: "equity", start: 5, drift: 0.0018, vol: 0.03, beta: 1.6, marketCap: 3.3e12),
        "SPY": Profile(name: "SPDR S&P 500 ETF Trust", sector: nil, assetClass: "etf", start: 268, drift: 0.0005, vol: 0.004, beta: 1.0, marketCap: 5.5e11),
        "GLD": Profile(name: "SPDR Gold Shares", sector: nil, assetClass: "commodity", start: 125, drift: 0.0003, vol: 0.009, beta: 0.05, marketCap: 7.0e10),
        "SLV": Profile(name: "iShares Silver Trust", sector: nil, assetClass: "commodity", start: 16, drift: 0.0002, vol: 0.017, beta: 0.2, marketCap: 1.2e10),
        "USO": Profile(name: "United States Oil Fund", sector: nil, assetClass: "commodity", start: 12, drift: 0.0001, vol: 0.024, beta: 0.6, marketCap: 1.5e9),
        "TLT": Profile(name: "iShares 20+ Year Treasury Bond ETF", sector: nil, assetClass: "bond", start: 126, drift: -0.0001, vol: 0.009, beta: -0.3, marketCap: 5.0e10),
        "IEF": Profile(name: "iShares 7-10 Year Treasury Bond ETF", sector: nil, assetClass: "bond", start: 105, drift: 0.0, vol: 0.004, beta: -0.15, marketCap: 3.0e10),
        "^GSPC": Profile(name: "S&P 500", sector: nil, assetClass: "index", start: 2695, drift: 0.0005, vol: 0.0, beta: 1.0, marketCap: 0),
    ]

    static let fxStart: [String: Double] = [
        "EUR": 0.83, "GBP": 0.74, "JPY": 112.0, "CHF": 0.97, "CAD": 1.25, "AUD": 1.28, "NZD": 1.41, "CNY": 6.5, "HKD": 7.82,
        "SGD": 1.33, "SEK": 8.2, "NOK": 8.1, "DKK": 6.2, "PLN": 3.48, "MXN": 19.5, "BRL": 3.25, "INR": 63.6, "KRW": 1065.0, "ZAR": 12.4,
    ]
    static let lateStarter = ("META", Day(year: 2019, month: 6, day: 3))
    static let dip = ("USO", Day(year: 2020, month: 4, day: 1), Day(year: 2020, month: 4, day: 24))

    public init(seed: UInt64 = 20_180_102, symbols: [String] = DefaultUniverse.symbols, benchmark: String = DefaultUniverse.benchmark,
                today: Day?) {
        self.seed = seed
        self.symbols = symbols
        self.benchmark = benchmark
        self.fixedEnd = today
    }

    public var calls: Int { 0 }

    public func assets() throws -> [AssetInfo] {
        (symbols + [benchmark]).map { symbol in
            let p = profile(symbol)
            return AssetInfo(symbol: symbol, name: p.name, sector: p.sector, assetClass: p.assetClass, currency: "USD",
                             marketCap: p.marketCap > 0 ? p.marketCap : nil, isBenchmark: symbol == benchmark)
        }
    }

    /// Symbols outside the built-in list (ASSETS) get a profile derived from their name.
    func profile(_ symbol: String) -> Profile {
        if let p = Self.profiles[symbol] { return p }
        var r = SplitMix64(seed: seed ^ Self.hash(symbol))
        return Profile(name: symbol, sector: nil, assetClass: "equity", start: 20 + Double(r.next() % 200), drift: 0.0005,
                       vol: 0.01 + Double(r.next() % 20) / 1000, beta: 1.0, marketCap: 1e10 + Double(r.next() % 1000) * 1e9)
    }

    static func hash(_ s: String) -> UInt64 { FNV1a.hash(s) }

    /// A standard normal draw from twelve uniforms (Irwin-Hall): arithmetic only.
    static func normal(_ r: inout SplitMix64) -> Double {
        var s = 0.0
        for _ in 0..<12 { s += Double(r.next() >> 11) / Double(1 << 53) }
        return s - 6
    }

    static func isHoliday(_ d: Day) -> Bool {
        let c = d.civil
        return (c.month == 12 && c.day == 25) || (c.month == 1 && c.day == 1)
    }

    /// The common market factor's return on each business day from firstDay through `through`.
    func marketFactor(through: Day) -> [Double] {
        var r = SplitMix64(seed: seed)
        var out: [Double] = []
        var d = Self.firstDay
        while d <= through {
            if !d.isWeekend { out.append(Self.normal(&r) * 0.009) }
            d = d + 1
        }
        return out
    }

    /// Every bar of `symbol` from firstDay through `through`.
    func series(_ symbol: String, market: [Double], through: Day) -> [PriceBar] {
        let p = profile(symbol)
        var r = SplitMix64(seed: seed ^ Self.hash(symbol))
        var close = p.start
        var bars: [PriceBar] = []
        var d = Self.firstDay
        var i = 0
        while d <= through {
            defer { d = d + 1 }
            if d.isWeekend { continue }
            let m = market[i]
            i += 1
            let shock = Self.normal(&r), noise = Self.normal(&r), range = Self.normal(&r)
            let missingDraw = r.next() % 400
            var ret = p.drift + p.beta * m + p.vol * shock
            if symbol == benchmark { ret = p.drift + m }
            ret = max(-0.25, min(0.25, ret))
            let open = close * (1 + 0.002 * noise)
            close *= 1 + ret
            if Self.isHoliday(d) || missingDraw == 0 { continue }
            if symbol == Self.lateStarter.0 && d < Self.lateStarter.1 { continue }
            var c = close, o = open
            if symbol == Self.dip.0 && d >= Self.dip.1 && d <= Self.dip.2 {
                // A collapse below min_price: the strategy must treat these closes as missing.
                c = 0.55 + Double(missingDraw % 40) / 100
                o = c * (1 + 0.002 * noise)
            }
            let spread = 1 + abs(range) * 0.006
            let bar = PriceBar(day: d, open: rounded(o), high: rounded(max(o, c) * spread), low: rounded(min(o, c) / spread),
                               close: rounded(c), volume: Int64(1_000_000 + (r.next() % 50_000_000)))
            bars.append(bar)
        }
        return bars
    }

    /// Prices to four decimals, as market data arrives.
    func rounded(_ v: Double) -> Double { (v * 10_000).rounded() / 10_000 }

    public func prices(_ requests: [(symbol: String, from: Day?)], through: Day) throws -> [String: [PriceBar]] {
        let end = min(through, today)
        let market = marketFactor(through: end)
        var out: [String: [PriceBar]] = [:]
        for (symbol, from) in requests {
            let all = series(symbol, market: market, through: end)
            out[symbol] = from.map { f in all.filter { $0.day >= f } } ?? all
        }
        return out
    }

    public func fxRates(_ currencies: [String], from: Day?, through: Day) throws -> [FXRate] {
        let end = min(through, today)
        var out: [FXRate] = []
        for code in currencies where code != "USD" {
            var r = SplitMix64(seed: seed ^ Self.hash("fx:" + code))
            var rate = Self.fxStart[code] ?? 1
            let precision = rate >= 100 ? 100.0 : 1_000_000.0
            var d = Self.firstDay
            while d <= end {
                defer { d = d + 1 }
                if d.isWeekend { continue }
                rate *= 1 + 0.004 * Self.normal(&r)
                if Self.isHoliday(d) { continue }
                if let from, d < from { continue }
                out.append(FXRate(day: d, currency: code, rate: (rate * precision).rounded() / precision))
            }
        }
        return out
    }
}
