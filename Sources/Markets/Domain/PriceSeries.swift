/// One asset's stored daily closes, oldest first, as the strategy receives them.
public struct PriceSeries: Sendable {
    public var symbol: String
    public var marketCap: Double?
    public var days: [Day]
    public var closes: [Double]

    public init(symbol: String, marketCap: Double? = nil, days: [Day], closes: [Double]) {
        self.symbol = symbol
        self.marketCap = marketCap
        self.days = days
        self.closes = closes
    }
}

/// Closes aligned on the trading dates (INDEX-SPEC steps 1-3): a matrix with one row per asset,
/// then cleaned (min_price, forward fill) and turned into clipped daily returns. NaN marks a
/// missing close or an undefined return.
struct AlignedPrices {
    let dates: [Day]
    let assetCount: Int
    /// Row-major: asset a's close on date k is raw[a * dates.count + k].
    var raw: [Double]

    /// Trading dates: every date on which at least one series has a close (below min_price or not).
    static func tradingDates(_ series: [PriceSeries]) -> [Day] {
        guard let lo = series.compactMap({ $0.days.first?.number }).min(),
              let hi = series.compactMap({ $0.days.last?.number }).max() else { return [] }
        var present = [Bool](repeating: false, count: hi - lo + 1)
        for s in series { for d in s.days { present[d.number - lo] = true } }
        var dates: [Day] = []
        for (i, p) in present.enumerated() where p { dates.append(Day(lo + i)) }
        return dates
    }

    init(series: [PriceSeries], on dates: [Day]) {
        self.dates = dates
        assetCount = series.count
        let n = dates.count
        raw = [Double](repeating: .nan, count: series.count * n)
        guard let first = dates.first?.number, let last = dates.last?.number else { return }
        // Date number -> position, through a dense table over the range.
        var position = [Int](repeating: -1, count: last - first + 1)
        for (k, d) in dates.enumerated() { position[d.number - first] = k }
        for (a, s) in series.enumerated() {
            for (d, c) in zip(s.days, s.closes) where d.number >= first && d.number <= last {
                let k = position[d.number - first]
                if k >= 0 { raw[a * n + k] = c }
            }
        }
    }

    /// Step 2: a close below min_price is missing; missing closes are forward-filled from the
    /// last valid close for at most `maxForwardFill` consecutive trading dates.
    func cleaned(minPrice: Double, maxForwardFill: Int) -> [Double] {
        let n = dates.count
        var out = [Double](repeating: .nan, count: raw.count)
        for a in 0..<assetCount {
            var last = Double.nan
            var gap = 0
            for k in 0..<n {
                let c = raw[a * n + k]
                if !c.isNaN && c >= minPrice {
                    out[a * n + k] = c
                    last = c
                    gap = 0
                } else if !last.isNaN {
                    gap += 1
                    if gap <= maxForwardFill { out[a * n + k] = last }
                }
            }
        }
        return out
    }

    /// Step 3: R(d_k) = P(d_k) / P(d_{k-1}) - 1 clipped, for k >= 1 when both closes exist.
    static func returns(cleaned p: [Double], assetCount: Int, dates n: Int, min lo: Double, max hi: Double) -> [Double] {
        var out = [Double](repeating: .nan, count: p.count)
        for a in 0..<assetCount {
            let base = a * n
            guard n > 1 else { continue }
            for k in 1..<n {
                let prev = p[base + k - 1], cur = p[base + k]
                if !prev.isNaN && !cur.isNaN { out[base + k] = min(max(cur / prev - 1, lo), hi) }
            }
        }
        return out
    }
}
