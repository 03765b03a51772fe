import Foundation

/// INDEX-SPEC step 10: the index's risk metrics over its daily returns r(d_1..d_n). Every value
/// is nil where undefined (never NaN or infinity).
public struct RiskMetrics: Sendable, Equatable, Codable {
    public var totalReturn: Double?
    public var annualizedReturn: Double?
    public var volatility: Double?
    public var sharpe: Double?
    public var sortino: Double?
    public var maxDrawdown: Double?
    public var currentDrawdown: Double?
    public var var95: Double?
    public var var99: Double?
    public var beta: Double?
    public var correlation: Double?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case totalReturn = "total_return", annualizedReturn = "annualized_return", volatility, sharpe, sortino
        case maxDrawdown = "max_drawdown", currentDrawdown = "current_drawdown", var95 = "var_95", var99 = "var_99", beta, correlation
    }

    /// `values` are V(d_0...d_n) and `dailyReturns` r(d_0...d_n) as the index computed them
    /// (index 0 unused); `benchmark` holds the benchmark's returns on the same dates.
    public static func compute(values: [Double], dailyReturns: [Double?], benchmark: [Double?], config: StrategyConfig) -> RiskMetrics {
        var m = RiskMetrics()
        let n = values.count - 1
        guard n >= 2, dailyReturns.count == values.count else { return m }
        let r = (1...n).map { dailyReturns[$0] ?? 0 }
        let periods = Double(config.tradingDaysPerYear)
        let growth = values[n] / 100
        m.totalReturn = finite(growth - 1)
        m.annualizedReturn = finite(Foundation.pow(growth, periods / Double(n)) - 1)
        let std = SampleStatistics.std(r[...]) ?? 0
        m.volatility = finite(std * periods.squareRoot())
        if let ann = m.annualizedReturn, let vol = m.volatility, vol > 0 { m.sharpe = finite((ann - config.riskFreeRate) / vol) }
        if r.contains(where: { $0 < 0 }), let ann = m.annualizedReturn {
            var s = 0.0
            for v in r where v < 0 { s += v * v }
            let downside = (s / Double(n)).squareRoot() * periods.squareRoot()
            if downside > 0 { m.sortino = finite((ann - config.riskFreeRate) / downside) }
        }
        (m.maxDrawdown, m.currentDrawdown) = drawdowns(values[...])
        m.var95 = finite(SampleStatistics.percentile(r, 5))
        m.var99 = finite(SampleStatistics.percentile(r, 1))
        var x: [Double] = [], y: [Double] = []
        for k in 1...n {
            if k < benchmark.count, let b = benchmark[k] {
                x.append(r[k - 1])
                y.append(b)
            }
        }
        if x.count >= 2 && !SampleStatistics.allEqual(y[...]) {
            let cov = SampleStatistics.covariance(x, y)
            let varB = SampleStatistics.covariance(y, y)
            m.beta = finite(cov / varB)
            if !SampleStatistics.allEqual(x[...]) {
                let varR = SampleStatistics.covariance(x, x)
                m.correlation = finite(cov / (varR * varB).squareRoot())
            }
        }
        return m
    }

    /// The worst and the latest fall from the running peak (which includes the first value).
    public static func drawdowns(_ v: ArraySlice<Double>) -> (max: Double?, current: Double?) {
        guard var peak = v.first else { return (nil, nil) }
        var worst = 0.0
        var current = 0.0
        for x in v {
            peak = max(peak, x)
            current = x / peak - 1
            worst = min(worst, current)
        }
        return (finite(worst), finite(current))
    }

    static func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }
}
