import SystemSupport

/// The u probabilities of a job from random pairs of its records: how often two records that
/// are not one transaction agree on each level anyway. Nearly every random pair is such a
/// pair (at most one partner per record among thousands). All pairs when there are few,
/// otherwise a fixed-seed sample, so a job scores the same every time it runs. The prior's u
/// stands in as `priorStrength` pseudo-pairs: a level never seen does not weigh infinitely,
/// and a job of a few records (where its true pairs are a good share of all pairs) keeps
/// about the prior.
enum RandomPairs {
    static let sampleSize = 50_000

    static let priorStrength = 2_000.0

    static func u(left: [PreparedRecord], right: [PreparedRecord], comparator: Comparator, prior: [[Double]] = MatchModel.prior.u) -> [[Double]] {
        var counts = prior.map { $0.map { $0 * priorStrength } }
        guard !left.isEmpty && !right.isEmpty else { return counts.map { row in row.map { $0 / row.reduce(0, +) } } }
        func count(_ a: PreparedRecord, _ b: PreparedRecord) {
            let amount = a.currency == b.currency ? comparator.amountLevel(a.amount, b.amount) ?? AmountLevel.far : AmountLevel.far
            let v = comparator.compare(a, b, amount: amount)
            for f in ComparisonField.allCases { counts[f.rawValue][v[f]] += 1 }
        }
        if left.count * right.count <= sampleSize {
            for a in left { for b in right { count(a, b) } }
        } else {
            var rng = SplitMix64(seed: UInt64(left.count) &* 0x9E37_79B9 &+ UInt64(right.count))
            for _ in 0..<sampleSize {
                count(left[Int(rng.next() % UInt64(left.count))], right[Int(rng.next() % UInt64(right.count))])
            }
        }
        return counts.map { row in row.map { $0 / row.reduce(0, +) } }
    }
}
