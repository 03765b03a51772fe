import Reconciliation

/// Scores a matcher outcome against the generated truth: pairwise precision, recall and F1
/// (a group counts each of its left x right pairs), whether any record is in two matches,
/// and how well confidence is calibrated (share of right pairs per confidence band).
public struct MatchEvaluation: Sendable, CustomStringConvertible {
    public var predictedPairs = 0
    public var correctPairs = 0
    public var truePairs = 0
    public var recordsInTwoMatches = 0
    /// (band low, matches, pairwise precision in the band, mean confidence)
    public var bands: [(low: Double, matches: Int, precision: Double, meanConfidence: Double)] = []
    public var byKind: [String: (matches: Int, precision: Double)] = [:]

    public var precision: Double { predictedPairs == 0 ? 1 : Double(correctPairs) / Double(predictedPairs) }
    public var recall: Double { truePairs == 0 ? 1 : Double(correctPairs) / Double(truePairs) }
    public var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }

    public init(outcome: MatchOutcome, dataset: SyntheticDataset) {
        truePairs = dataset.truth.count
        var seenLeft = Set<Int>(), seenRight = Set<Int>()
        let edges: [Double] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]
        var bandCounts = [(matches: Int, pairs: Int, correct: Int, confidence: Double)](repeating: (0, 0, 0, 0), count: edges.count)
        var kinds: [String: (Int, Int, Int)] = [:]
        for m in outcome.matches {
            for l in m.left where !seenLeft.insert(l).inserted { recordsInTwoMatches += 1 }
            for r in m.right where !seenRight.insert(r).inserted { recordsInTwoMatches += 1 }
            var pairs = 0, correct = 0
            for l in m.left {
                for r in m.right {
                    pairs += 1
                    if dataset.truth.contains(.init(dataset.left[l].id, dataset.right[r].id)) { correct += 1 }
                }
            }
            predictedPairs += pairs
            correctPairs += correct
            let band = edges.lastIndex { m.confidence >= $0 } ?? 0
            bandCounts[band].matches += 1
            bandCounts[band].pairs += pairs
            bandCounts[band].correct += correct
            bandCounts[band].confidence += m.confidence
            var k = kinds[m.kind.rawValue] ?? (0, 0, 0)
            k.0 += 1; k.1 += pairs; k.2 += correct
            kinds[m.kind.rawValue] = k
        }
        bands = edges.enumerated().compactMap { i, low in
            let b = bandCounts[i]
            return b.matches == 0 ? nil : (low, b.matches, Double(b.correct) / Double(b.pairs), b.confidence / Double(b.matches))
        }
        byKind = kinds.mapValues { ($0.0, $0.1 == 0 ? 1 : Double($0.2) / Double($0.1)) }
    }

    public var description: String {
        func f(_ x: Double) -> String { String(Int((x * 10_000).rounded())).leftPadded(5).inserting(".", at: 1) }
        var s = "pairs predicted \(predictedPairs), correct \(correctPairs), true \(truePairs); precision \(f(precision)), recall \(f(recall)), F1 \(f(f1)); records in two matches: \(recordsInTwoMatches)\n"
        for b in bands { s += "  confidence >= \(b.low): \(b.matches) matches, mean confidence \(f(b.meanConfidence)), precision \(f(b.precision))\n" }
        for (k, v) in byKind.sorted(by: { $0.key < $1.key }) { s += "  \(k): \(v.matches) matches, precision \(f(v.precision))\n" }
        return s
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
    func inserting(_ c: Character, at offset: Int) -> String {
        var s = self
        s.insert(c, at: s.index(s.startIndex, offsetBy: offset))
        return s
    }
}

extension SyntheticDataset {
    public var leftInputs: [MatchInput] { left.enumerated().map { Self.input($1, $0) } }
    public var rightInputs: [MatchInput] { right.enumerated().map { Self.input($1, $0) } }

    static func input(_ r: SyntheticRecord, _ i: Int) -> MatchInput {
        MatchInput(id: Int64(i), amount: r.amount, day: r.day, currency: r.currency, reference: r.reference, description: r.description,
                   counterparty: r.counterparty)
    }
}
