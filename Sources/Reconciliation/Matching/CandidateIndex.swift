/// The blocking index over the right side: per (currency, day) the records sorted by amount,
/// and per (currency, reference key) the records that carry it. Candidates for a left record
/// come from the days of its window (a binary search for its amount range on each) and from
/// its reference keys; all pairs are never formed.
struct CandidateIndex: Sendable {
    struct DayKey: Hashable { var currency: Int32; var day: Int32 }
    struct TextKey: Hashable { var currency: Int32; var key: String }

    let rules: MatchRules
    let right: [PreparedRecord]
    private var byDay: [DayKey: [(amount: Int64, index: Int32)]] = [:]
    private var byReference: [TextKey: [Int32]] = [:]
    /// A reference key carried by more records than this is not an identifier (a constant
    /// like "SALARY 2024"); it is not used for candidates.
    static let maxReferenceFanOut = 20
    /// References may tie records further apart than the amount window: up to this many
    /// times the date window.
    static let referenceWindowFactor = 3
    /// Most candidates kept per record (the closest in amount, then date). Degenerate data (every
    /// amount equal on one day) would otherwise make blocking all pairs; past this many, the
    /// rivals are too many to tell apart anyway and the record is left for review.
    static let maxCandidates = 64

    init(right: [PreparedRecord], rules: MatchRules) {
        self.rules = rules
        self.right = right
        for (i, r) in right.enumerated() {
            byDay[DayKey(currency: r.currency, day: r.day), default: []].append((r.amount, Int32(i)))
            for d in r.documents { byReference[TextKey(currency: r.currency, key: d), default: []].append(Int32(i)) }
        }
        for k in byDay.keys { byDay[k]!.sort { $0.amount < $1.amount } }
    }

    /// Records per round: after each, progress is reported and cancellation checked on the
    /// calling thread; within a round, the halves are scored on two threads.
    static let round = 2_048

    func pairs(left: [PreparedRecord], context: PairContext, progress: (Int) -> Void, checkCancelled: () throws -> Void) throws -> [CandidatePair] {
        var out: [CandidatePair] = []
        out.reserveCapacity(left.count * 8)
        var start = 0
        while start < left.count {
            try checkCancelled()
            progress(start)
            let end = min(left.count, start + Self.round)
            let middle = (start + end) / 2
            let halves = [start..<middle, middle..<end]
            for half in Parallel.map(halves.count, { candidates(left: left, range: halves[$0], context: context) }) { out += half }
            start = end
        }
        progress(left.count)
        return out
    }

    /// The candidates of `left[range]`, each with its comparison vector.
    func candidates(left: [PreparedRecord], range: Range<Int>, context: PairContext) -> [CandidatePair] {
        let comparator = Comparator(rules: rules)
        var out: [CandidatePair] = []
        out.reserveCapacity(range.count * 8)
        let span = BusinessDays.calendarSpan(rules.dateWindowDays)
        let referenceSpan = BusinessDays.calendarSpan(rules.dateWindowDays * Self.referenceWindowFactor)
        var seen: [Int32] = []
        for li in range where !context.excludedLeft[li] {
            let a = left[li]
            seen.removeAll(keepingCapacity: true)
            let tolerance = rules.tolerance(a.amount)
            // Money coming in may arrive less a withheld fee.
            let low = a.amount - (a.amount > 0 ? max(tolerance, Comparator.withheldLimit(a.amount)) : tolerance), high = a.amount + tolerance
            for day in (a.day - span)...(a.day + span) where seen.count < Self.maxCandidates * 4 {
                guard let list = byDay[DayKey(currency: a.currency, day: day)] else { continue }
                var i = Self.lowerBound(list, low)
                while i < list.count && list[i].amount <= high {
                    let ri = list[i].index
                    let b = right[Int(ri)]
                    if !context.excludedRight[Int(ri)] && abs(b.businessDay - a.businessDay) <= rules.dateWindowDays
                        && comparator.amountLevel(a.amount, b.amount) != nil { seen.append(ri) }
                    i += 1
                }
            }
            for d in a.documents {
                guard let list = byReference[TextKey(currency: a.currency, key: d)], list.count <= Self.maxReferenceFanOut else { continue }
                for ri in list {
                    let b = right[Int(ri)]
                    guard !context.excludedRight[Int(ri)], abs(Int32(b.day) - a.day) <= referenceSpan,
                          comparator.amountLevel(a.amount, b.amount) != nil else { continue }
                    seen.append(ri)
                }
            }
            if seen.count > 1 {
                seen.sort()
                var w = 1
                for k in 1..<seen.count where seen[k] != seen[w - 1] {
                    seen[w] = seen[k]
                    w += 1
                }
                seen.removeLast(seen.count - w)
            }
            if seen.count > Self.maxCandidates {
                let key = { (ri: Int32) in ((right[Int(ri)].amount - a.amount).magnitude, abs(right[Int(ri)].businessDay - a.businessDay), ri) }
                seen.sort { key($0) < key($1) }
                seen.removeLast(seen.count - Self.maxCandidates)
            }
            for ri in seen {
                let b = right[Int(ri)]
                let v = comparator.compare(a, b, amount: comparator.amountLevel(a.amount, b.amount)!)
                let named = v[.name] == Int(NameLevel.inText) && a.name.isEmpty ? context.rightNameAdjustment[Int(ri)] : context.leftNameAdjustment[li]
                out.append(CandidatePair(left: Int32(li), right: ri, vector: v, nameAdjustment: named, score: 0))
            }
        }
        return out
    }

    /// What the candidate search needs beyond the records: duplicates left out, and each
    /// record's name frequency adjustment.
    struct PairContext: Sendable {
        var excludedLeft: [Bool]
        var excludedRight: [Bool]
        var leftNameAdjustment: [Float]
        var rightNameAdjustment: [Float]
    }

    static func lowerBound(_ list: [(amount: Int64, index: Int32)], _ value: Int64) -> Int {
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if list[mid].amount < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
