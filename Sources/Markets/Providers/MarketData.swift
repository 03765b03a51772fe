/// What a provider delivers, before validation and storage.
public struct AssetInfo: Sendable, Equatable, Codable {
    public var symbol: String
    public var name: String
    public var sector: String?
    public var assetClass: String
    public var currency: String
    public var marketCap: Double?
    public var isBenchmark: Bool

    public init(symbol: String, name: String, sector: String?, assetClass: String, currency: String, marketCap: Double?,
                isBenchmark: Bool) {
        self.symbol = symbol
        self.name = name
        self.sector = sector
        self.assetClass = assetClass
        self.currency = currency
        self.marketCap = marketCap
        self.isBenchmark = isBenchmark
    }
}

public struct PriceBar: Sendable, Equatable {
    public var day: Day
    public var open: Double?
    public var high: Double?
    public var low: Double?
    public var close: Double
    public var volume: Int64?

    public init(day: Day, open: Double? = nil, high: Double? = nil, low: Double? = nil, close: Double, volume: Int64? = nil) {
        self.day = day
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }
}

public struct FXRate: Sendable, Equatable {
    public var day: Day
    public var currency: String
    /// Units of `currency` per 1 USD.
    public var rate: Double

    public init(day: Day, currency: String, rate: Double) {
        self.day = day
        self.currency = currency
        self.rate = rate
    }
}

/// A source of market data (PRICE_PROVIDER = demo | csv | twelvedata).
public protocol MarketDataProvider: Sendable {
    var name: String { get }
    /// The universe and the benchmark.
    func assets() throws -> [AssetInfo]
    /// Daily bars for each requested symbol from its start date (nil: all history) to `through`.
    func prices(_ requests: [(symbol: String, from: Day?)], through: Day) throws -> [String: [PriceBar]]
    /// Rates for each currency (never USD) from `from` (nil: all history) to `through`.
    func fxRates(_ currencies: [String], from: Day?, through: Day) throws -> [FXRate]
    /// Calls made to the upstream service so far (the refresh reports the difference).
    var calls: Int { get }
}

/// A provider's failure: the refresh fails and changes nothing; the API answers 502.
public struct ProviderError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    /// Job records keep this text; the refresh route tells an upstream failure (502) by its prefix.
    public var description: String { "\(Self.prefix)\(message)" }
    public static let prefix = "market data provider: "
}

/// The default universe (ASSETS overrides it for demo and twelvedata).
public enum DefaultUniverse {
    public static let symbols = ["AAPL", "MSFT", "GOOGL", "AMZN", "META", "TSLA", "NVDA", "SPY", "GLD", "SLV", "USO", "TLT", "IEF"]
    public static let benchmark = "^GSPC"
}
