import Foundation

/// Reconciles two sets of transactions. Pure: no I/O; the caller passes progress and
/// cancellation closures.
///
/// 1. Candidates by blocking, never all pairs: same currency and sign, amount within
///    tolerance (binary search in per-day amount-sorted lists) and date within the window;
///    or a shared normalised reference / document number.
/// 2. Each candidate pair is scored (`PairScorer`, log-odds).
/// 3. Confidence is the posterior that the pair is right given its competitors: for each
///    side, odds / (K + sum of the odds of all candidates of that record), the smaller of the
///    two sides. Two candidates that cannot be told apart each get at most one half, so they
///    stay below any sensible threshold and are left for review instead of guessed.
/// 4. Assignment is best-first over all pairs, each record used once; rounds repeat with the
///    records already matched removed from the competition.
/// 5. Groups (`GroupFinder`): bounded subset sums among the still unmatched records that
///    share a counterparty or reference within the window.
public struct Matcher: Sendable {
    public let rules: MatchRules
    public let threshold: Double

    /// log K: the evidence a lone candidate needs to reach one half.
    static let noMatchLogOdds = 1.0
    /// The calibrated default threshold (README: confidence bands on the generated data).
    public static let defaultThreshold = 0.8

    public init(rules: MatchRules = MatchRules(), threshold: Double = Matcher.defaultThreshold) {
        self.rules = rules
        self.threshold = threshold
    }

    public func run(left: [MatchInput], right: [MatchInput], progress: (Int) -> Void = { _ in },
                    checkCancelled: () throws -> Void = {}) throws -> MatchOutcome {
        var currencies: [String: Int32] = [:]
        for c in Set(left.map(\.currency) + right.map(\.currency)).sorted() { currencies[c] = Int32(currencies.count) }
        let codes = currencies
        // The two sides are normalised on two threads.
        let prepared = Parallel.map(2) { side in (side == 0 ? left : right).map { PreparedRecord($0, currency: codes[$0.currency]!) } }
        let l = prepared[0], r = prepared[1]
        try checkCancelled()
        let scorer = PairScorer(rules: rules)
        var pairs = try CandidateIndex(right: r, rules: rules).pairs(left: l, scorer: scorer, progress: progress, checkCancelled: checkCancelled)
        let candidateCount = pairs.count
        var usedLeft = [Bool](repeating: false, count: l.count)
        var usedRight = [Bool](repeating: false, count: r.count)
        var matches: [ProposedMatch] = []
        var ambiguous = Set<Int>()
        for _ in 0..<3 {
            let accepted = assign(&pairs, l, r, scorer, usedLeft: &usedLeft, usedRight: &usedRight, ambiguous: &ambiguous)
            if accepted.isEmpty { break }
            matches += accepted
            try checkCancelled()
        }
        if rules.allowGroups {
            var finder = GroupFinder(rules: rules, left: l, right: r)
            matches += try finder.find(usedLeft: &usedLeft, usedRight: &usedRight, threshold: threshold, checkCancelled: checkCancelled)
        }
        ambiguous = ambiguous.filter { !usedLeft[$0] }
        return MatchOutcome(matches: matches, unmatchedLeft: (0..<l.count).filter { !usedLeft[$0] },
                            unmatchedRight: (0..<r.count).filter { !usedRight[$0] }, ambiguous: ambiguous.count, candidatePairs: candidateCount)
    }

    /// One round: confidences among the pairs whose records are both free, then best-first.
    func assign(_ pairs: inout [CandidatePair], _ l: [PreparedRecord], _ r: [PreparedRecord], _ scorer: PairScorer,
                usedLeft: inout [Bool], usedRight: inout [Bool], ambiguous: inout Set<Int>) -> [ProposedMatch] {
        let leftCount = l.count, rightCount = r.count
        pairs.removeAll { usedLeft[Int($0.left)] || usedRight[Int($0.right)] }
        let k = exp(Self.noMatchLogOdds)
        var leftSum = [Double](repeating: k, count: leftCount)
        var rightSum = [Double](repeating: k, count: rightCount)
        var leftCompetitors = [Int32](repeating: 0, count: leftCount)
        var rightCompetitors = [Int32](repeating: 0, count: rightCount)
        for p in pairs {
            let o = exp(Double(p.score))
            leftSum[Int(p.left)] += o
            rightSum[Int(p.right)] += o
            leftCompetitors[Int(p.left)] += 1
            rightCompetitors[Int(p.right)] += 1
        }
        var scored: [(index: Int, confidence: Double)] = []
        for (i, p) in pairs.enumerated() {
            let o = exp(Double(p.score))
            let c = min(o / leftSum[Int(p.left)], o / rightSum[Int(p.right)])
            if c >= threshold { scored.append((i, c)) } else if o / k > 20 {
                // Strong on its own, weak only because of an equally strong rival.
                ambiguous.insert(Int(p.left))
            }
        }
        scored.sort { $0.confidence != $1.confidence ? $0.confidence > $1.confidence : $0.index < $1.index }
        var out: [ProposedMatch] = []
        for (i, c) in scored {
            let a = Int(pairs[i].left), b = Int(pairs[i].right)
            guard !usedLeft[a] && !usedRight[b] else { continue }
            usedLeft[a] = true
            usedRight[b] = true
            var signals = scorer.evaluate(l[a], r[b]).signals
            signals.competitors = Int(leftCompetitors[a] + rightCompetitors[b]) - 2
            let kind: MatchKind = signals.amountDifference == 0 && signals.dateDistance == 0 ? .exact : .tolerant
            out.append(ProposedMatch(kind: kind, left: [a], right: [b], confidence: Self.rounded(c), signals: signals))
        }
        return out
    }

    static func rounded(_ c: Double) -> Double { min(1, max(0, (c * 10_000).rounded(.down) / 10_000)) }
}

/// A scored candidate, kept small: there can be millions.
struct CandidatePair: Sendable {
    var left: Int32
    var right: Int32
    var score: Float
}
