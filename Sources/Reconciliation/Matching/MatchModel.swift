import Foundation

/// The Fellegi-Sunter model of one job: for each field and level, m (the probability of the
/// level among true pairs) and u (among random pairs of records), and the share of candidate
/// pairs that are true. m is estimated from the job's own candidate pairs by
/// expectation-maximisation (as Splink and fastLink do: EM over the blocked pairs, with their
/// own u as a nuisance parameter), starting from hand-set priors that also act as
/// pseudo-counts, so a job of a handful of records keeps about the priors and a job of
/// thousands follows its data. u comes from random pairs (`RandomPairs`): what agreeing on a
/// level is worth against any record, not only against the candidates that blocking already
/// chose for looking alike. Pairs a reviewer confirmed or rejected enter the estimation as
/// known, not guessed.
public struct MatchModel: Sendable, Equatable {
    /// Share of candidate pairs that are one transaction.
    public var matchShare: Double
    /// m[field][level], u[field][level] (random pairs), and the u the EM fitted among the
    /// candidate pairs.
    public var m: [[Double]]
    public var u: [[Double]]
    public var candidateU: [[Double]]
    /// Prior log-odds that a given record of the other side is a record's partner, against the
    /// record having no partner at all.
    public var pairLogOdds: Double = log(1e-4)
    public var iterations = 0
    public var pairs = 0
    public var labelledPairs = 0

    /// Where the estimation starts, and what a small job keeps: agreement rates of real books
    /// among candidate pairs, rounded (most true pairs agree on amount and within a few days,
    /// most carry a reference or name that agrees; a wrong candidate almost never agrees on a
    /// reference or a name, and often differs on both).
    public static let prior = MatchModel(
        matchShare: 0.3,
        m: [[0.9, 0.05, 0.03, 0.019, 0.001],
            [0.3, 0.33, 0.16, 0.1, 0.04, 0.03, 0.03, 0.01],
            [0.45, 0.2, 0.06, 0.14, 0.15],
            [0.63, 0.1, 0.03, 0.06, 0.04, 0.12, 0.02]],
        u: [[0.0001, 0.0001, 0.0005, 0.0005, 0.9988],
            [0.004, 0.004, 0.004, 0.004, 0.008, 0.012, 0.012, 0.952],
            [0.0001, 0.0001, 0.0001, 0.7, 0.2997],
            [0.005, 0.002, 0.005, 0.002, 0.8, 0.15, 0.036]],
        candidateU: [[0.1, 0.02, 0.2, 0.679, 0.001],
                     [0.07, 0.07, 0.06, 0.06, 0.12, 0.17, 0.17, 0.28],
                     [0.002, 0.002, 0.002, 0.75, 0.244],
                     [0.01, 0.003, 0.005, 0.002, 0.84, 0.12, 0.02]])

    /// Pseudo-counts of the prior per field: what a small job's data must outweigh.
    static let priorStrength = 200.0
    static let maxIterations = 100
    /// A reviewer's decision counts as this many of the EM's own guesses: it is known, where
    /// an unlabelled pair is only apportioned between true and false.
    static let labelWeight = 3.0

    /// log(m / u) of every level: what the job scores with.
    func weights() -> [[Double]] { (0..<m.count).map { f in (0..<m[f].count).map { log(m[f][$0] / u[f][$0]) } } }

    /// log(m / u) among the candidate pairs: what the EM separates them with.
    func candidateWeights() -> [[Double]] { (0..<m.count).map { f in (0..<m[f].count).map { log(m[f][$0] / candidateU[f][$0]) } } }

    /// Chains of levels whose weights may not increase along the chain: agreeing more never
    /// counts less (an exact amount at least as much as a close one, a day's distance at least
    /// as much as two, an equal name at least as much as a similar one). Without them EM can
    /// settle on another split of the candidates than true and false (same-day pairs against
    /// the rest, say); with them, the latent class that agrees is the one called true.
    static let orderedChains: [[[Int]]] = [
        [[0, 1, 2, 4], [3, 4]],
        [[1, 2, 3, 4, 5, 7], [0, 2], [6, 7]],
        [[0, 2, 4, 3], [1, 4]],
        [[0, 1, 2, 4], [3, 5]],
    ]

    /// Weighted isotonic regression (pool adjacent violators) of each chain's weights, then m
    /// rebuilt from u and the ordered weights.
    mutating func enforceOrder(counts: [[Double]]) {
        for (f, chains) in Self.orderedChains.enumerated() {
            var w = candidateWeights()[f]
            // Chains share levels: projecting on each in turn, a few times over, meets them all.
            for chain in Array(repeating: chains, count: chains.count == 1 ? 1 : 8).joined() {
                // Blocks of (mean weight, total count, members), non-increasing when done.
                var blocks: [(value: Double, weight: Double, members: [Int])] = []
                for level in chain {
                    blocks.append((w[level], max(counts[f][level], 1e-9), [level]))
                    while blocks.count >= 2 && blocks[blocks.count - 2].value < blocks[blocks.count - 1].value {
                        let b = blocks.removeLast(), a = blocks.removeLast()
                        let total = a.weight + b.weight
                        blocks.append(((a.value * a.weight + b.value * b.weight) / total, total, a.members + b.members))
                    }
                }
                for b in blocks { for level in b.members { w[level] = b.value } }
            }
            let raw = (0..<w.count).map { candidateU[f][$0] * exp(w[$0]) }
            let sum = raw.reduce(0, +)
            m[f] = raw.map { $0 / sum }
        }
    }

    /// Estimates the model from pattern counts (comparison vectors and how many candidate pairs
    /// have each), plus labelled patterns: `confirmed` are true pairs, `rejected` are not.
    static func estimate(patterns: [(vector: ComparisonVector, count: Int)], confirmed: [ComparisonVector: Int] = [:],
                         rejected: [ComparisonVector: Int] = [:], start: MatchModel = .prior) -> MatchModel {
        var model = start
        let fields = ComparisonField.allCases.map(\.rawValue)
        let total = patterns.reduce(0) { $0 + $1.count }
        model.pairs = total
        model.labelledPairs = confirmed.values.reduce(0, +) + rejected.values.reduce(0, +)
        guard total > 0 else { return model }
        for iteration in 1...maxIterations {
            var mCounts = start.m.map { $0.map { $0 * priorStrength } }
            var uCounts = start.candidateU.map { $0.map { $0 * priorStrength } }
            var matched = 0.0
            let w = model.candidateWeights()
            let priorLogOdds = log(model.matchShare / (1 - model.matchShare))
            func add(_ v: ComparisonVector, _ count: Double, _ p: Double) {
                for f in fields {
                    mCounts[f][v[ComparisonField(rawValue: f)!]] += count * p
                    uCounts[f][v[ComparisonField(rawValue: f)!]] += count * (1 - p)
                }
            }
            for (v, count) in patterns {
                var logOdds = priorLogOdds
                for f in fields { logOdds += w[f][v[ComparisonField(rawValue: f)!]] }
                let p = 1 / (1 + exp(-logOdds))
                matched += Double(count) * p
                add(v, Double(count), p)
            }
            for (v, count) in confirmed { add(v, Double(count) * labelWeight, 1) }
            for (v, count) in rejected { add(v, Double(count) * labelWeight, 0) }
            var next = model
            next.m = mCounts.map { row in let s = row.reduce(0, +); return row.map { $0 / s } }
            next.candidateU = uCounts.map { row in let s = row.reduce(0, +); return row.map { $0 / s } }
            next.enforceOrder(counts: zip(mCounts, uCounts).map { zip($0, $1).map { $0 + $1 } })
            next.matchShare = min(0.99, max(0.01, (matched + priorStrength * start.matchShare) / (Double(total) + priorStrength)))
            next.iterations = iteration
            let change = zip(next.m.joined(), model.m.joined()).map { abs($0 - $1) }.max() ?? 0
            model = next
            if change < 1e-5 { break }
        }
        return model
    }
}
