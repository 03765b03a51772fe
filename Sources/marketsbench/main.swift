// The strategy benchmark for scripts/bench-markets (not part of the product).
//   marketsbench strategy ASSETS DAYS [RUNS]   recompute the index, allocations and risk metrics
//                                              for ASSETS synthetic assets over DAYS business days
import Foundation
import Glibc
import Markets
import SystemSupport

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let args = CommandLine.arguments
guard args.count >= 4, args[1] == "strategy", let assets = Int(args[2]), let days = Int(args[3]) else {
    print("usage: marketsbench strategy ASSETS DAYS [RUNS]")
    exit(2)
}
let runs = args.count > 4 ? Int(args[4]) ?? 5 : 5

// Random walks on business days with a few gaps per asset, like real data.
var rng = SplitMix64(seed: 42)
var calendar: [Day] = []
var d = Day(year: 2000, month: 1, day: 3)
while calendar.count < days {
    if !d.isWeekend { calendar.append(d) }
    d = d + 1
}
var universe: [PriceSeries] = []
for a in 0..<assets {
    var close = 50.0 + Double(rng.next() % 100)
    var series = PriceSeries(symbol: "S\(a)", marketCap: Double(1 + rng.next() % 1000) * 1e9, days: [], closes: [])
    series.days.reserveCapacity(days)
    series.closes.reserveCapacity(days)
    for day in calendar {
        let u = Double(rng.next() >> 11) / Double(1 << 53)
        close *= 1 + (u - 0.5) * 0.04
        if rng.next() % 200 == 0 { continue }
        series.days.append(day)
        series.closes.append(close)
    }
    universe.append(series)
}
let benchmark = universe[0]
var best = Double.infinity
var checksum = 0.0
for _ in 0..<runs {
    let start = now()
    let result = IndexEngine.compute(universe: universe, benchmark: benchmark, config: StrategyConfig())
    let metrics = RiskMetrics.compute(values: result.values, dailyReturns: result.dailyReturns, benchmark: result.benchmarkReturns,
                                      config: StrategyConfig())
    best = min(best, now() - start)
    checksum = (result.values.last ?? 0) + (metrics.volatility ?? 0) + Double(result.allocations.count)
}
print("strategy \(assets) assets x \(days) days: best of \(runs) \(String(format: "%.1f", best * 1000)) ms (checksum \(checksum))")
