import Testing
@testable import Markets

/// Each rule of INDEX-SPEC pinned by a small hand-computed case.
@Suite struct StrategyTests {
    // Monday 2024-01-01 ... : a week of business days.
    static let monday = Day(year: 2024, month: 1, day: 1)

    static func series(_ symbol: String, _ closes: [Double?], start: Day = monday, cap: Double? = nil) -> PriceSeries {
        var days: [Day] = [], values: [Double] = []
        for (i, c) in closes.enumerated() {
            if let c {
                days.append(start + i)
                values.append(c)
            }
        }
        return PriceSeries(symbol: symbol, marketCap: cap, days: days, closes: values)
    }

    static var daily: StrategyConfig {
        var c = StrategyConfig()
        c.rebalanceFrequency = .daily
        return c
    }

    @Test func daysConvertAndCompareISOWeeks() {
        let d = Day(year: 2020, month: 12, day: 31)
        #expect(d.description == "2020-12-31")
        #expect(Day(iso: "2020-12-31") == d)
        #expect(Day(iso: "2023-02-29") == nil)
        #expect(Day(year: 1970, month: 1, day: 1).number == 0)
        #expect(d.isoWeekday == 4)
        // 2020-12-31 (Thu) and 2021-01-03 (Sun) are both in ISO week 2020-W53; 2021-01-04 starts W01.
        #expect(d.isoWeekMonday == Day(year: 2021, month: 1, day: 3).isoWeekMonday)
        #expect(d.isoWeekMonday != Day(year: 2021, month: 1, day: 4).isoWeekMonday)
        for n in stride(from: -800_000, to: 3_000_000, by: 997) {
            let c = Day(n).civil
            #expect(Day(year: c.year, month: c.month, day: c.day).number == n)
        }
    }

    @Test func handComputedIndexWithDailyRebalance() {
        // Closes chosen so every return is exact in binary: A +25%, +25%, 0; B 0, +25%, 0.
        let a = Self.series("A", [8, 10, 12.5, 12.5])
        let b = Self.series("B", [20, 20, 25, 25])
        let r = IndexEngine.compute(universe: [a, b], benchmark: nil, config: Self.daily)
        #expect(r.values.count == 4)
        // d1: the empty window gives equal weights: 0.5 * 0.25.
        #expect(abs(r.values[1] - 112.5) < 1e-9)
        // d2: momentum A .25, B 0 -> (1, 0); caps and risk parity equal -> A .7, B .3; both +25%.
        #expect(abs(r.values[2] - 140.625) < 1e-9)
        #expect(abs(r.values[3] - 140.625) < 1e-9)
        #expect(r.dailyReturns[0] == nil)
        let w = r.allocations.map { ($0.day.number - Self.monday.number, $0.symbol, $0.weight) }
        #expect(w.count == 6)
        #expect(w[0].0 == 1 && w[0].1 == "A" && abs(w[0].2 - 0.5) < 1e-12)
        #expect(w[2].0 == 2 && w[2].1 == "A" && abs(w[2].2 - 0.7) < 1e-12)
        #expect(w[3].1 == "B" && abs(w[3].2 - 0.3) < 1e-12)
        // d3: momentum A 1.25^2-1 = .5625, B .25; sigma A exactly 0 (equal values), so risk parity is all B.
        #expect(abs(w[4].2 - (0.4 * 0.5625 / 0.8125 + 0.15)) < 1e-12)
        #expect(abs(w[5].2 - (0.4 * 0.25 / 0.8125 + 0.45)) < 1e-12)
    }

    @Test func noLookAheadAtARebalance() {
        let a1 = Self.series("A", [8, 10, 12.5, 12.5])
        let a2 = Self.series("A", [8, 10, 12.5, 30])
        let b = Self.series("B", [20, 20, 25, 25])
        let r1 = IndexEngine.compute(universe: [a1, b], benchmark: nil, config: Self.daily)
        let r2 = IndexEngine.compute(universe: [a2, b], benchmark: nil, config: Self.daily)
        // The weights set at d3 ignore d3's own return; only the index value moves.
        #expect(r1.allocations == r2.allocations)
        #expect(r1.values[3] != r2.values[3])
    }

    @Test func weeklyRebalancesOnNewISOWeeksOnlyAndNeverAtD0() {
        // Monday..Friday, then next Monday and Tuesday.
        let closes: [Double?] = [10, 11, 12, 13, 14, nil, nil, 15, 16]
        let r = IndexEngine.compute(universe: [Self.series("A", closes)], benchmark: nil, config: StrategyConfig())
        let days = Set(r.allocations.map { $0.day.number - Self.monday.number })
        #expect(days == [1, 7])
        var monthly = StrategyConfig()
        monthly.rebalanceFrequency = .monthly
        let m = IndexEngine.compute(universe: [Self.series("A", [10, 11, 12, 13], start: Day(year: 2024, month: 1, day: 30))],
                                    benchmark: nil, config: monthly)
        // 01-30 (d0), 01-31 (d1, first rebalance), 02-01 (new month).
        #expect(m.allocations.map { $0.day.description } == ["2024-01-31", "2024-02-01"])
    }

    @Test func cleaningTreatsSubMinPricesAsMissingAndForwardFillsAtMostTwoDates() {
        let aligned = AlignedPrices(series: [Self.series("A", [2, 0.5, nil, 0.99, 3, nil, nil, nil, 4])], on: (0..<9).map { Self.monday + $0 })
        let p = aligned.cleaned(minPrice: 1.0, maxForwardFill: 2)
        // 0.5 and the gap are filled from 2 for two dates; the third (0.99, below) stays missing.
        let shown: [Double] = p.map { $0.isNaN ? -1 : $0 }
        #expect(shown == [2, 2, 2, -1, 3, 3, 3, -1, 4])
        // Exactly min_price is not below it.
        let exact = AlignedPrices(series: [Self.series("A", [1.0, 1.0])], on: [Self.monday, Self.monday + 1]).cleaned(minPrice: 1.0, maxForwardFill: 0)
        #expect(exact == [1.0, 1.0])
        // Trading dates come from raw closes, even sub-min_price ones.
        #expect(AlignedPrices.tradingDates([Self.series("A", [0.5, nil, 2])]).count == 2)
    }

    @Test func returnsAreClippedAndUndefinedAcrossGaps() {
        let p: [Double] = [10, 20, 5, .nan, 6]
        let r = AlignedPrices.returns(cleaned: p, assetCount: 1, dates: 5, min: -0.5, max: 0.5)
        let shown: [Double] = r.map { $0.isNaN ? 99 : $0 }
        #expect(shown == [99, 0.5, -0.5, 99, 99])
    }

    @Test func coverageIsComputedInDecimal() {
        var c = StrategyConfig()
        c.minCoverage = 0.7
        c.lookbackDays = 10
        // Binary floating point gives 0.7 * 10 = 7.000000000000001 and a ceiling of 8.
        #expect(c.requiredCoverage()[10] == 7)
        #expect(c.requiredCoverage()[0] == 0)
        c.minCoverage = 0.9
        c.lookbackDays = 60
        #expect(c.requiredCoverage()[60] == 54)
        #expect(c.requiredCoverage()[1] == 1)
    }

    @Test func ineligibleAssetsAreExcludedByCoverage() {
        // B has a gap inside the window: 1 defined return of 3 < ceil(0.9 * 3).
        let a = Self.series("A", [10, 11, 12, 13, 14])
        let b = Self.series("B", [10, nil, nil, nil, 14])
        var c = Self.daily
        c.maxForwardFillDays = 0
        let r = IndexEngine.compute(universe: [a, b], benchmark: nil, config: c)
        let last = r.allocations.filter { $0.day == Self.monday + 4 }
        #expect(last.map(\.symbol) == ["A"])
        #expect(abs(last[0].weight - 1) < 1e-12)
    }

    @Test func allNegativeMomentumFallsBackToEqualWeight() {
        var c = Self.daily
        c.momentumWeight = 1
        c.marketCapWeight = 0
        c.riskParityWeight = 0
        let a = Self.series("A", [10, 9, 8])
        let b = Self.series("B", [10, 9.5, 9])
        let r = IndexEngine.compute(universe: [a, b], benchmark: nil, config: c)
        let w = r.allocations.filter { $0.day == Self.monday + 2 }
        #expect(w.count == 2 && w.allSatisfy { abs($0.weight - 0.5) < 1e-12 })
        // Exactly the spec's components for plain values.
        #expect(IndexEngine.momentumWeights([-0.2, -0.05], threshold: -0.01) == [0.5, 0.5])
        #expect(IndexEngine.momentumWeights([0.3, -0.005, -0.2], threshold: -0.01) == [1, 0, 0])
        #expect(IndexEngine.momentumWeights([0, -0.005], threshold: -0.01) == [0.5, 0.5])
        #expect(IndexEngine.marketCapWeights([1, 3]) == [0.25, 0.75])
        #expect(IndexEngine.marketCapWeights([1, nil]) == [0.5, 0.5])
        let expected: [Double] = [10.0 / 15, 5.0 / 15, 0]
        #expect(IndexEngine.riskParityWeights([0.1, 0.2, 0]) == expected)
        #expect(IndexEngine.riskParityWeights([0, 0]) == [0.5, 0.5])
    }

    @Test func outliersBecomeTheWindowMedianInOnePass() {
        var x: [Double] = [0.01, 0.02, 0.01, 0.02, 0.01, 0.02, 0.01, 0.02, 0.01, 0.02, 0.9]
        let median = 0.02
        IndexEngine.replaceOutliers(&x, threshold: 3)
        #expect(x.last == median)
        #expect(x.dropLast().allSatisfy { $0 == 0.01 || $0 == 0.02 })
        var few: [Double] = [0.0, 5.0]
        IndexEngine.replaceOutliers(&few, threshold: 0.1)
        #expect(few == [0.0, 5.0])
        var even: [Double] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 100]
        IndexEngine.replaceOutliers(&even, threshold: 3)
        #expect(even.last == 1.5)
        #expect(SampleStatistics.median([1, 2, 3, 10][...]) == 2.5)
        #expect(SampleStatistics.std([0.1, 0.1, 0.1][...]) == 0)
    }

    @Test func marketCapsBlendIntoTheFirstEqualWeightRebalance() {
        let a = Self.series("A", [10, 10], cap: 1)
        let b = Self.series("B", [10, 10], cap: 3)
        let r = IndexEngine.compute(universe: [a, b], benchmark: nil, config: StrategyConfig())
        #expect(abs(r.allocations[0].weight - (0.4 * 0.5 + 0.3 * 0.25 + 0.3 * 0.5)) < 1e-12)
        #expect(abs(r.allocations[1].weight - (0.4 * 0.5 + 0.3 * 0.75 + 0.3 * 0.5)) < 1e-12)
    }

    @Test func theIndexStaysFlatUntilARebalanceFindsEligibleAssets() {
        // d0 is a trading date only through B's sub-min_price close; A starts on d1 and first has
        // enough coverage at d3, so nothing is stored and V stays 100 until then.
        let a = Self.series("A", [nil, nil, 10, 11, 12])
        let b = Self.series("B", [0.5, nil, nil, nil, nil])
        var c = Self.daily
        c.maxForwardFillDays = 0
        c.minCoverage = 0.5
        let r = IndexEngine.compute(universe: [a, b], benchmark: nil, config: c)
        #expect(r.dates.count == 4)
        #expect(r.values[1] == 100 && r.values[2] == 100)
        #expect(r.allocations.first?.day == Self.monday + 4)
        #expect(abs(r.values[3] - 100 * 12 / 11) < 1e-9)
        // A rebalance with no eligible asset (yesterday's close missing) keeps and re-stores the previous weights.
        let keep = IndexEngine.compute(universe: [Self.series("A", [10, 11, 0.5, 0.5, 12])], benchmark: nil, config: c)
        #expect(keep.allocations.filter { $0.day == Self.monday + 3 }.map(\.weight) == [1])
    }

    @Test func riskMetricsOfAHandComputedSeries() {
        let values: [Double] = [100, 110, 99, 108.9]
        let returns: [Double?] = [nil, 0.1, -0.1, 0.1]
        let m = RiskMetrics.compute(values: values, dailyReturns: returns, benchmark: [nil, 0.05, -0.05, 0.05], config: StrategyConfig())
        #expect(abs(m.totalReturn! - 0.089) < 1e-12)
        #expect(abs(m.maxDrawdown! - (99.0 / 110 - 1)) < 1e-12)
        #expect(abs(m.currentDrawdown! - (108.9 / 110 - 1)) < 1e-12)
        #expect(abs(m.var95! - -0.08) < 1e-12)
        #expect(abs(m.var99! - -0.096) < 1e-12)
        let std = (0.0266666666666667 / 2).squareRoot()
        #expect(abs(m.volatility! - std * 252.0.squareRoot()) < 1e-9)
        let ann = 1.089.pow(252.0 / 3) - 1
        #expect(abs(m.annualizedReturn! / ann - 1) < 1e-9)
        #expect(abs(m.sortino! - (ann - 0.05) / ((0.01 / 3).squareRoot() * 252.0.squareRoot())) < 1e-6)
        #expect(abs(m.beta! - 2) < 1e-12)
        #expect(abs(m.correlation! - 1) < 1e-12)
        // Undefined cases are nil: fewer than two returns, no negative return, a flat benchmark.
        #expect(RiskMetrics.compute(values: [100, 101], dailyReturns: [nil, 0.01], benchmark: [], config: StrategyConfig()) == RiskMetrics())
        let up = RiskMetrics.compute(values: [100, 101, 102], dailyReturns: [nil, 0.01, 102.0 / 101 - 1], benchmark: [nil, 0, 0],
                                     config: StrategyConfig())
        #expect(up.sortino == nil && up.beta == nil && up.correlation == nil && up.maxDrawdown == 0)
    }
}

extension Double {
    func pow(_ e: Double) -> Double { Foundation_pow(self, e) }
}
