import Foundation

/// Reconciles two sets of transactions. Pure: no I/O; the caller passes progress and
/// cancellation closures.
///
/// 1. Exact duplicate rows within a side are set aside (`Duplicates`) and reported.
/// 2. Candidates by blocking, never all pairs: same currency and sign, amount within
///    tolerance (or less a withheld fee on money coming in) and date within the window, or a
///    shared reference / document number. Each candidate gets its comparison vector.
/// 3. The job's model (`MatchModel`): m and u of every level estimated from the candidate
///    pairs by expectation-maximisation, reviewers' decisions included as labelled pairs.
/// 4. Confidence is the posterior that the pair is the transaction given its rivals: the
///    pair's odds against one plus the odds of every candidate of either of its records.
///    Two candidates that cannot be told apart each get at most one half.
/// 5. Assignment is best-first, each record used once; rounds repeat with the records
///    already matched removed from the competition.
/// 6. Groups: a pair whose difference is a line of its own (`ResidualLines`), then groups
///    by sum among the records still unmatched (`GroupFinder`).
public struct Matcher: Sendable {
    public let rules: MatchRules
    public let threshold: Double
    /// Decisions of the project's reviewers (record ids as `MatchInput.id`).
    public var feedback: ReviewFeedback

    /// The default threshold: confidence is a calibrated probability (README: calibration
    /// tables on the development sets), so a match is proposed when it is more likely right
    /// than wrong; below that it is left for a person, who sees the candidates.
    public static let defaultThreshold = 0.5

    public init(rules: MatchRules = MatchRules(), threshold: Double = Matcher.defaultThreshold, feedback: ReviewFeedback = ReviewFeedback()) {
        self.rules = rules
        self.threshold = threshold
        self.feedback = feedback
    }

    /// `left` and `right` are taken over: once prepared (and their duplicates and labels
    /// found), the matcher lets them go, so a caller that hands them over with `consume` does
    /// not hold every record's texts twice through the match.
    public func run(left leftInput: consuming [MatchInput], right rightInput: consuming [MatchInput], progress: (Int) -> Void = { _ in },
                    checkCancelled: () throws -> Void = {}) throws -> MatchOutcome {
        var left = consume leftInput, right = consume rightInput
        var currencies: [String: Int32] = [:]
        for c in Set(left.map(\.currency) + right.map(\.currency)).sorted() { currencies[c] = Int32(currencies.count) }
        let codes = currencies
        // The two sides are normalised on two threads.
        let prepared = Parallel.map(2) { [left, right] side in (side == 0 ? left : right).map { PreparedRecord($0, currency: codes[$0.currency]!) } }
        var l = prepared[0], r = prepared[1]
        PreparedRecord.dropCommonIdentifiers(&l, &r)
        let duplicates = Parallel.map(2) { [left, right] side in Duplicates.find(side == 0 ? left : right) }
        let labels = feedback.labels(left: left, right: right, rules: rules)
        // Everything the inputs are read for has been read: their texts go now, before the
        // candidates, the model and the groups (most of a large job's memory).
        left = []
        right = []
        try checkCancelled()
        let context = CandidateIndex.PairContext(excludedLeft: duplicates[0].map { $0 != nil }, excludedRight: duplicates[1].map { $0 != nil },
                                                 leftNameAdjustment: NameFrequency.adjustments(l), rightNameAdjustment: NameFrequency.adjustments(r))
        var pairs = try CandidateIndex(right: r, rules: rules).pairs(left: l, context: context, progress: progress, checkCancelled: checkCancelled)
        let candidateCount = pairs.count
        // Reviewers' rejections are never proposed again; their decisions are labelled pairs.
        if !labels.excluded.isEmpty { pairs.removeAll { labels.excluded.contains(PairKey(left: $0.left, right: $0.right)) } }
        var counts: [ComparisonVector: Int] = [:]
        for p in pairs { counts[p.vector, default: 0] += 1 }
        var model = MatchModel.estimate(patterns: counts.map { ($0.key, $0.value) }, confirmed: labels.confirmed, rejected: labels.rejected)
        model.u = RandomPairs.u(left: l, right: r, comparator: Comparator(rules: rules))
        // Prior odds that a given record of the other side is a record's partner rather than
        // it having none here: pi / ((1 - pi) x N), with pi the share of records that have a
        // partner (true pairs expected from the candidates' true share), averaged over the sides.
        let expectedTrue = model.matchShare * Double(max(1, candidateCount))
        func side(_ n: Int, _ other: Int) -> Double {
            let pi = min(0.99, max(0.01, expectedTrue / Double(max(1, n))))
            return log(pi / ((1 - pi) * Double(max(1, other))))
        }
        model.pairLogOdds = (side(l.count, r.count) + side(r.count, l.count)) / 2
        let scorer = PairScorer(rules: rules, model: model)
        for i in pairs.indices { pairs[i].score = Float(scorer.score(pairs[i].vector, nameAdjustment: pairs[i].nameAdjustment)) }
        try checkCancelled()
        var usedLeft = context.excludedLeft
        var usedRight = context.excludedRight
        var matches: [ProposedMatch] = []
        var ambiguous = Set<Int>()
        var feeRules: [String: FeeRule] = [:]
        for _ in 0..<4 {
            let accepted = assign(&pairs, l, r, scorer, usedLeft: &usedLeft, usedRight: &usedRight, ambiguous: &ambiguous)
            if accepted.isEmpty { break }
            matches += accepted
            try checkCancelled()
        }
        if rules.allowGroups {
            ResidualLines.complete(&matches, left: l, right: r, usedRight: &usedRight, window: Int32(rules.dateWindowDays))
            var finder = GroupFinder(rules: rules, left: l, right: r)
            matches += try finder.find(usedLeft: &usedLeft, usedRight: &usedRight, threshold: threshold, checkCancelled: checkCancelled)
            feeRules = finder.feeRules
        }
        ambiguous = ambiguous.filter { !usedLeft[$0] }
        let duplicateRight = duplicates[1].enumerated().compactMap { i, d in d.map { (i, $0) } }
        let duplicateLeft = duplicates[0].enumerated().compactMap { i, d in d.map { (i, $0) } }
        return MatchOutcome(matches: matches, unmatchedLeft: (0..<l.count).filter { !usedLeft[$0] },
                            unmatchedRight: (0..<r.count).filter { !usedRight[$0] }, ambiguous: ambiguous.count, candidatePairs: candidateCount,
                            model: model, duplicatesLeft: duplicateLeft.map { .init(record: $0.0, of: $0.1) },
                            duplicatesRight: duplicateRight.map { .init(record: $0.0, of: $0.1) }, feeRules: feeRules)
    }

    /// One round: confidences among the pairs whose records are both free, then best-first.
    func assign(_ pairs: inout [CandidatePair], _ l: [PreparedRecord], _ r: [PreparedRecord], _ scorer: PairScorer,
                usedLeft: inout [Bool], usedRight: inout [Bool], ambiguous: inout Set<Int>) -> [ProposedMatch] {
        pairs.removeAll { usedLeft[Int($0.left)] || usedRight[Int($0.right)] }
        var leftSum = [Double](repeating: 0, count: l.count)
        var rightSum = [Double](repeating: 0, count: r.count)
        var leftCompetitors = [Int32](repeating: 0, count: l.count)
        var rightCompetitors = [Int32](repeating: 0, count: r.count)
        let prior = scorer.priorLogOdds
        // Each pair's odds once; the rival sums and the confidences below all read them.
        let odds = pairs.map { exp(Double($0.score) + prior) }
        for (p, o) in zip(pairs, odds) {
            leftSum[Int(p.left)] += o
            rightSum[Int(p.right)] += o
            leftCompetitors[Int(p.left)] += 1
            rightCompetitors[Int(p.right)] += 1
        }
        // A rival counts as much as it is free for this record: one whose other record has a
        // far better partner elsewhere hardly competes (one step of the balancing that the
        // one-partner-per-record constraint implies).
        var leftRivals = [Double](repeating: 0, count: l.count)
        var rightRivals = [Double](repeating: 0, count: r.count)
        for (p, o) in zip(pairs, odds) {
            leftRivals[Int(p.left)] += o * (1 + o) / (1 + rightSum[Int(p.right)])
            rightRivals[Int(p.right)] += o * (1 + o) / (1 + leftSum[Int(p.left)])
        }
        var scored: [(index: Int, confidence: Double)] = []
        for (i, p) in pairs.enumerated() {
            let o = odds[i], a = Int(p.left), b = Int(p.right)
            let rivals = (leftRivals[a] - o * (1 + o) / (1 + rightSum[b])) + (rightRivals[b] - o * (1 + o) / (1 + leftSum[a]))
            // This pair against "neither record has a partner here" and every rival of either.
            let c = o / (1 + o + max(0, rivals))
            if c >= threshold { scored.append((i, c)) } else if o > 20 {
                // Strong on its own, weak only because of an equally strong rival.
                ambiguous.insert(a)
            }
        }
        scored.sort { $0.confidence != $1.confidence ? $0.confidence > $1.confidence : $0.index < $1.index }
        var out: [ProposedMatch] = []
        for (i, c) in scored {
            let a = Int(pairs[i].left), b = Int(pairs[i].right)
            guard !usedLeft[a] && !usedRight[b] else { continue }
            usedLeft[a] = true
            usedRight[b] = true
            let signals = scorer.signals(l[a], r[b], pairs[i].vector, nameAdjustment: pairs[i].nameAdjustment,
                                         competitors: Int(leftCompetitors[a] + rightCompetitors[b]) - 2)
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
    var vector: ComparisonVector
    var nameAdjustment: Float
    var score: Float
}

struct PairKey: Hashable, Sendable {
    var left: Int32
    var right: Int32
}

/// How common each record's counterparty name is on its side, as a weight adjustment:
/// log(mean frequency / this name's frequency), bounded. Agreeing on a name that one record
/// in a thousand carries is worth more than agreeing on "Card customer".
enum NameFrequency {
    static let bound: Float = 2

    static func adjustments(_ records: [PreparedRecord]) -> [Float] {
        var counts: [[UInt8]: Int] = [:]
        for r in records where !r.name.isEmpty { counts[r.name.joined, default: 0] += 1 }
        let named = counts.values.reduce(0, +)
        guard named > 0 else { return [Float](repeating: 0, count: records.count) }
        // The frequency of the name of a named record picked at random.
        let mean = counts.values.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(named)
        return records.map { r in
            guard let c = counts[r.name.joined] else { return 0 }
            return max(-bound, min(bound, Float(log(mean / Double(c)))))
        }
    }
}
