/// What a project's reviewers decided on earlier jobs, as the matcher learns from it: pairs
/// they confirmed and pairs they rejected, each with both records as they were. Confirmed and
/// rejected pairs enter the model's estimation as labelled pairs; a rejected pairing of two
/// records is never proposed again.
public struct ReviewFeedback: Sendable {
    public struct Pair: Sendable {
        public var left: MatchInput
        public var right: MatchInput
        public init(left: MatchInput, right: MatchInput) {
            self.left = left
            self.right = right
        }
    }

    public var confirmed: [Pair]
    public var rejected: [Pair]

    public init(confirmed: [Pair] = [], rejected: [Pair] = []) {
        self.confirmed = confirmed
        self.rejected = rejected
    }

    struct Labels {
        var confirmed: [ComparisonVector: Int] = [:]
        var rejected: [ComparisonVector: Int] = [:]
        /// Rejected pairings among this job's records, by index.
        var excluded: Set<PairKey> = []
    }

    /// The labelled comparison vectors (pairs outside the candidate space say nothing about its
    /// levels and are left out) and the rejected pairings of this job's records.
    func labels(left: [MatchInput], right: [MatchInput], rules: MatchRules) -> Labels {
        var out = Labels()
        guard !confirmed.isEmpty || !rejected.isEmpty else { return out }
        let comparator = Comparator(rules: rules)
        func vector(_ p: Pair) -> ComparisonVector? {
            guard p.left.currency == p.right.currency, let level = comparator.amountLevel(p.left.amount, p.right.amount) else { return nil }
            return comparator.compare(PreparedRecord(p.left, currency: 0), PreparedRecord(p.right, currency: 0), amount: level)
        }
        for p in confirmed { if let v = vector(p) { out.confirmed[v, default: 0] += 1 } }
        for p in rejected { if let v = vector(p) { out.rejected[v, default: 0] += 1 } }
        var leftIndex: [Int64: Int32] = [:], rightIndex: [Int64: Int32] = [:]
        for (i, r) in left.enumerated() { leftIndex[r.id] = Int32(i) }
        for (i, r) in right.enumerated() { rightIndex[r.id] = Int32(i) }
        for p in rejected {
            if let a = leftIndex[p.left.id], let b = rightIndex[p.right.id] { out.excluded.insert(PairKey(left: a, right: b)) }
        }
        return out
    }
}
