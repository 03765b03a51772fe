/// What a refresh did, stored as the job run's stats and printed by `apiserver refresh`.
public struct RefreshStats: Codable, Sendable {
    public struct Counts: Codable, Sendable, Equatable {
        public var inserted = 0
        public var updated = 0
        public var unchanged = 0
        public init() {}
    }

    public struct Derived: Codable, Sendable, Equatable {
        public var inserted = 0
        public var updated = 0
        public var removed = 0
        public init() {}
    }

    public var mode: String
    public var provider: String
    public var assets: [String: Counts] = [:]
    public var prices = Counts()
    public var fx = Counts()
    public var indexValues = Derived()
    public var allocations = Derived()
    public var providerCalls = 0
    public var lastDate: String?
    public var indexValue: Double?
    public var strategyVersion: Int?
    public var export: String?
    public var durationMs = 0
    public var timings: [String: Int] = [:]

    enum CodingKeys: String, CodingKey {
        case mode, provider, assets, prices, fx, providerCalls = "provider_calls", lastDate = "last_date", indexValue = "index_value"
        case indexValues = "index_values", allocations, strategyVersion = "strategy_version", export, durationMs = "duration_ms", timings
    }
}

public enum RefreshMode: String, Sendable, CaseIterable {
    case incremental, full
}
