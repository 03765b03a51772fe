/// The index strategy of INDEX-SPEC, steps 1-9: pure, deterministic, no I/O.
public enum IndexEngine {
    public struct Allocation: Sendable, Equatable {
        public var day: Day
        public var symbol: String
        public var weight: Double
    }

    public struct Result: Sendable {
        public var dates: [Day] = []
        public var values: [Double] = []
        /// r(d_k); nil at d_0.
        public var dailyReturns: [Double?] = []
        /// Target weights at each rebalance date (weights > 0 only), date order then symbol order.
        public var allocations: [Allocation] = []
        /// The benchmark's cleaned, clipped returns on the index dates (nil where undefined),
        /// for beta and correlation.
        public var benchmarkReturns: [Double?] = []
    }

    /// Computes the index over `universe` (never the benchmark) and aligns `benchmark` on its dates.
    public static func compute(universe: [PriceSeries], benchmark: PriceSeries?, config: StrategyConfig) -> Result {
        let dates = AlignedPrices.tradingDates(universe)
        var result = Result()
        result.dates = dates
        let n = dates.count
        guard n > 0 else { return result }
        let aligned = AlignedPrices(series: universe, on: dates)
        let prices = aligned.cleaned(minPrice: config.minPrice, maxForwardFill: config.maxForwardFillDays)
        let returns = AlignedPrices.returns(cleaned: prices, assetCount: universe.count, dates: n,
                                            min: config.minDailyReturn, max: config.maxDailyReturn)
        let assets = universe.count
        // Defined returns per asset, as prefix counts: coverage of any window in O(1).
        var defined = [Int](repeating: 0, count: assets * (n + 1))
        for a in 0..<assets {
            for k in 0..<n { defined[a * (n + 1) + k + 1] = defined[a * (n + 1) + k] + (returns[a * n + k].isNaN ? 0 : 1) }
        }
        let required = config.requiredCoverage()
        let caps = universe.map(\.marketCap)

        var weights: [Double]? = nil
        var values = [Double](repeating: 100, count: n)
        var daily = [Double?](repeating: nil, count: n)
        var estimation: [Double] = []
        estimation.reserveCapacity(config.lookbackDays)
        for k in 1..<max(n, 1) {
            if isRebalance(k, dates, config.rebalanceFrequency) {
                let lo = max(1, k - config.lookbackDays), hi = k - 1
                let windowSize = hi >= lo ? hi - lo + 1 : 0
                let need = required[min(windowSize, required.count - 1)]
                var eligible: [Int] = []
                for a in 0..<assets where !prices[a * n + k - 1].isNaN {
                    let count = windowSize == 0 ? 0 : defined[a * (n + 1) + hi + 1] - defined[a * (n + 1) + lo]
                    if count >= need { eligible.append(a) }
                }
                if !eligible.isEmpty {
                    var momentum = [Double](repeating: 0, count: eligible.count)
                    var sigma = [Double](repeating: 0, count: eligible.count)
                    for (e, a) in eligible.enumerated() {
                        estimation.removeAll(keepingCapacity: true)
                        if windowSize > 0 {
                            for j in lo...hi where !returns[a * n + j].isNaN { estimation.append(returns[a * n + j]) }
                        }
                        replaceOutliers(&estimation, threshold: config.outlierStdThreshold)
                        var growth = 1.0
                        for v in estimation.suffix(config.momentumDays) { growth *= 1 + v }
                        momentum[e] = estimation.isEmpty ? 0 : growth - 1
                        sigma[e] = SampleStatistics.std(estimation[...]) ?? 0
                    }
                    let target = blend(momentum: momentumWeights(momentum, threshold: config.dailyDropThreshold),
                                       marketCap: marketCapWeights(eligible.map { caps[$0] }),
                                       riskParity: riskParityWeights(sigma), config: config)
                    var w = [Double](repeating: 0, count: assets)
                    for (e, a) in eligible.enumerated() { w[a] = target[e] }
                    weights = w
                }
                if let w = weights {
                    for a in 0..<assets where w[a] > 0 {
                        result.allocations.append(Allocation(day: dates[k], symbol: universe[a].symbol, weight: w[a]))
                    }
                }
            }
            var r = 0.0
            if let w = weights {
                for a in 0..<assets where w[a] != 0 {
                    let ret = returns[a * n + k]
                    if !ret.isNaN { r += w[a] * ret }
                }
            }
            daily[k] = r
            values[k] = values[k - 1] * (1 + r)
        }
        result.values = values
        result.dailyReturns = daily
        if let benchmark {
            let b = AlignedPrices(series: [benchmark], on: dates)
            let clean = b.cleaned(minPrice: config.minPrice, maxForwardFill: config.maxForwardFillDays)
            let br = AlignedPrices.returns(cleaned: clean, assetCount: 1, dates: n, min: config.minDailyReturn, max: config.maxDailyReturn)
            result.benchmarkReturns = br.enumerated().map { $0.offset == 0 || $0.element.isNaN ? nil : $0.element }
        } else {
            result.benchmarkReturns = [Double?](repeating: nil, count: n)
        }
        return result
    }

    /// Step 4: d_1, and every later date that starts a new period relative to the one before.
    static func isRebalance(_ k: Int, _ dates: [Day], _ frequency: StrategyConfig.Frequency) -> Bool {
        if k == 1 { return true }
        switch frequency {
        case .daily: return true
        case .weekly: return dates[k].isoWeekMonday != dates[k - 1].isoWeekMonday
        case .monthly: return dates[k].monthKey != dates[k - 1].monthKey
        }
    }

    /// Step 6: one pass; values strictly beyond threshold * std from the mean become the median
    /// of the original values (only with at least 3 values and std > 0).
    static func replaceOutliers(_ x: inout [Double], threshold: Double) {
        guard x.count >= 3, let std = SampleStatistics.std(x[...]), std > 0 else { return }
        let mean = SampleStatistics.mean(x[...])
        let median = SampleStatistics.median(x[...])
        let limit = threshold * std
        for i in x.indices where abs(x[i] - mean) > limit { x[i] = median }
    }

    static func equal(_ count: Int) -> [Double] { [Double](repeating: 1 / Double(count), count: count) }

    static func momentumWeights(_ m: [Double], threshold: Double) -> [Double] {
        var sum = 0.0
        var inQ = false
        for v in m where v > threshold {
            inQ = true
            sum += max(v, 0)
        }
        guard inQ, sum > 0 else { return equal(m.count) }
        return m.map { $0 > threshold ? max($0, 0) / sum : 0 }
    }

    static func marketCapWeights(_ caps: [Double?]) -> [Double] {
        var values: [Double] = []
        for c in caps {
            guard let c, c > 0, c.isFinite else { return equal(caps.count) }
            values.append(c)
        }
        let sum = values.reduce(0, +)
        return values.map { $0 / sum }
    }

    static func riskParityWeights(_ sigma: [Double]) -> [Double] {
        var sum = 0.0
        for s in sigma where s > 0 { sum += 1 / s }
        guard sum > 0 else { return equal(sigma.count) }
        return sigma.map { $0 > 0 ? (1 / $0) / sum : 0 }
    }

    static func blend(momentum: [Double], marketCap: [Double], riskParity: [Double], config: StrategyConfig) -> [Double] {
        var t = momentum.indices.map {
            config.momentumWeight * momentum[$0] + config.marketCapWeight * marketCap[$0] + config.riskParityWeight * riskParity[$0]
        }
        let sum = t.reduce(0, +)
        if sum > 0 { for i in t.indices { t[i] /= sum } }
        return t
    }
}
