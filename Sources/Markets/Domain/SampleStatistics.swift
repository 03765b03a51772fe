/// The statistics the specification names, written once: sample standard deviation (ddof 1,
/// exactly 0 when every value is equal, whatever the floating-point residue), the median
/// (mean of the two middle values for an even count) and numpy's default percentile.
enum SampleStatistics {
    static func mean(_ x: ArraySlice<Double>) -> Double {
        var s = 0.0
        for v in x { s += v }
        return s / Double(x.count)
    }

    static func allEqual(_ x: ArraySlice<Double>) -> Bool {
        guard let f = x.first else { return true }
        for v in x where v != f { return false }
        return true
    }

    /// nil for fewer than two values.
    static func std(_ x: ArraySlice<Double>) -> Double? {
        guard x.count >= 2 else { return nil }
        if allEqual(x) { return 0 }
        let m = mean(x)
        var ss = 0.0
        for v in x { ss += (v - m) * (v - m) }
        return (ss / Double(x.count - 1)).squareRoot()
    }

    static func median(_ x: ArraySlice<Double>) -> Double {
        let s = x.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// numpy.percentile(x, p) with its default linear method.
    static func percentile(_ x: [Double], _ p: Double) -> Double {
        let s = x.sorted()
        let pos = p / 100 * Double(s.count - 1)
        let lo = Int(pos.rounded(.down))
        let hi = min(lo + 1, s.count - 1)
        let t = pos - Double(lo)
        let diff = s[hi] - s[lo]
        // numpy's _lerp: from the nearer end, so the result is exact at t = 0 and t = 1.
        return t >= 0.5 ? s[hi] - diff * (1 - t) : s[lo] + diff * t
    }

    /// Sample covariance (ddof 1).
    static func covariance(_ x: [Double], _ y: [Double]) -> Double {
        let mx = mean(x[...]), my = mean(y[...])
        var s = 0.0
        for i in x.indices { s += (x[i] - mx) * (y[i] - my) }
        return s / Double(x.count - 1)
    }
}
