import Foundation

/// The strategy's parameters (INDEX-SPEC "Strategy configuration"), with the specification's
/// defaults. Stored as versioned rows; validated before any is stored.
public struct StrategyConfig: Sendable, Equatable, Codable {
    public enum Frequency: String, Sendable, Codable, CaseIterable { case daily, weekly, monthly }

    public var momentumWeight = 0.4
    public var marketCapWeight = 0.3
    public var riskParityWeight = 0.3
    public var minPrice = 1.0
    public var maxForwardFillDays = 2
    public var minCoverage = 0.9
    public var maxDailyReturn = 0.5
    public var minDailyReturn = -0.5
    public var outlierStdThreshold = 3.0
    public var lookbackDays = 60
    public var momentumDays = 20
    public var dailyDropThreshold = -0.01
    public var rebalanceFrequency = Frequency.weekly
    public var riskFreeRate = 0.05
    public var tradingDaysPerYear = 252

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case momentumWeight = "momentum_weight", marketCapWeight = "market_cap_weight", riskParityWeight = "risk_parity_weight"
        case minPrice = "min_price", maxForwardFillDays = "max_forward_fill_days", minCoverage = "min_coverage"
        case maxDailyReturn = "max_daily_return", minDailyReturn = "min_daily_return", outlierStdThreshold = "outlier_std_threshold"
        case lookbackDays = "lookback_days", momentumDays = "momentum_days", dailyDropThreshold = "daily_drop_threshold"
        case rebalanceFrequency = "rebalance_frequency", riskFreeRate = "risk_free_rate", tradingDaysPerYear = "trading_days_per_year"
    }

    public static let keys: [String] = CodingKeys.allCases.map(\.rawValue)

    /// Every rule a configuration must satisfy, as (field, issue) pairs; empty when valid.
    public func problems() -> [(field: String, issue: String)] {
        var out: [(String, String)] = []
        func finite(_ v: Double, _ key: CodingKeys) -> Bool {
            if !v.isFinite { out.append((key.rawValue, "must be a finite number")) }
            return v.isFinite
        }
        for (v, key) in [(momentumWeight, CodingKeys.momentumWeight), (marketCapWeight, .marketCapWeight), (riskParityWeight, .riskParityWeight)]
        where finite(v, key) && !(0...1).contains(v) {
            out.append((key.rawValue, "must be between 0 and 1"))
        }
        let sum = momentumWeight + marketCapWeight + riskParityWeight
        if sum.isFinite && abs(sum - 1) > 1e-9 {
            out.append(("momentum_weight", "momentum_weight, market_cap_weight and risk_parity_weight must sum to 1 (they sum to \(sum))"))
        }
        if finite(minPrice, .minPrice) && !(minPrice > 0) { out.append(("min_price", "must be greater than 0")) }
        if !(0...30).contains(maxForwardFillDays) { out.append(("max_forward_fill_days", "must be between 0 and 30")) }
        if finite(minCoverage, .minCoverage) && !(0...1).contains(minCoverage) { out.append(("min_coverage", "must be between 0 and 1")) }
        if finite(maxDailyReturn, .maxDailyReturn) && !(maxDailyReturn > 0) { out.append(("max_daily_return", "must be greater than 0")) }
        if finite(minDailyReturn, .minDailyReturn) && !(minDailyReturn < 0 && minDailyReturn > -1) {
            out.append(("min_daily_return", "must be between -1 and 0 (exclusive)"))
        }
        if finite(outlierStdThreshold, .outlierStdThreshold) && !(outlierStdThreshold > 0) {
            out.append(("outlier_std_threshold", "must be greater than 0"))
        }
        if !(2...1000).contains(lookbackDays) { out.append(("lookback_days", "must be between 2 and 1000")) }
        if !(1...1000).contains(momentumDays) { out.append(("momentum_days", "must be between 1 and 1000")) }
        if finite(dailyDropThreshold, .dailyDropThreshold) && !(-1...1).contains(dailyDropThreshold) {
            out.append(("daily_drop_threshold", "must be between -1 and 1"))
        }
        if finite(riskFreeRate, .riskFreeRate) && !(-1...1).contains(riskFreeRate) { out.append(("risk_free_rate", "must be between -1 and 1")) }
        if !(1...366).contains(tradingDaysPerYear) { out.append(("trading_days_per_year", "must be between 1 and 366")) }
        return out
    }

    /// ceil(min_coverage * w) for every window size 0...lookback_days, computed in decimal
    /// (INDEX-SPEC Precisions: 0.7 * 10 is 7, not the 7.000000000000001 of binary floating point).
    public func requiredCoverage() -> [Int] {
        let coverage = Decimal(string: "\(minCoverage)") ?? Decimal(minCoverage)
        return (0...max(0, lookbackDays)).map { w in
            var product = coverage * Decimal(w)
            var rounded = Decimal()
            NSDecimalRound(&rounded, &product, 0, .up)
            return NSDecimalNumber(decimal: rounded).intValue
        }
    }
}
