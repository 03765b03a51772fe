import Foundation

/// One-to-many and many-to-one groups among the records pairs left unmatched: a payment
/// split into several lines (or less a fee booked as its own line), a deposit of several
/// checks, a settlement of many sales less a processor fee, one transfer paying several
/// invoices. For a target record, the pool is the other side's free records in its currency
/// and date window that share its counterparty (similarity at least 0.9 on a shared name
/// token) or a reference / document number; a bounded search then looks for a subset whose
/// sum equals the target's amount (within the absolute tolerance). A target with two
/// different fitting subsets is ambiguous and left for review.
struct GroupFinder {
    let rules: MatchRules
    let left: [PreparedRecord]
    let right: [PreparedRecord]
    /// Pool members considered per target (closest dates first).
    static let maxPool = 24
    /// Search nodes per target: the subset search stays bounded whatever the data.
    static let nodeBudget = 200_000
    static let nameThreshold = 0.9

    init(rules: MatchRules, left: [PreparedRecord], right: [PreparedRecord]) {
        self.rules = rules
        self.left = left
        self.right = right
    }

    struct Key: Hashable { var currency: Int32; var text: String }

    mutating func find(usedLeft: inout [Bool], usedRight: inout [Bool], threshold: Double, checkCancelled: () throws -> Void) throws -> [ProposedMatch] {
        var out: [ProposedMatch] = []
        // One left paid by several right lines, then several left lines paid by one right.
        out += try search(targets: left, pool: right, usedTargets: &usedLeft, usedPool: &usedRight, kind: .oneToMany, threshold: threshold,
                          checkCancelled: checkCancelled)
        out += try search(targets: right, pool: left, usedTargets: &usedRight, usedPool: &usedLeft, kind: .manyToOne, threshold: threshold,
                          checkCancelled: checkCancelled)
        return out
    }

    private func index(_ records: [PreparedRecord], used: [Bool]) -> [Key: [Int32]] {
        var byKey: [Key: [Int32]] = [:]
        for (i, r) in records.enumerated() where !used[i] {
            for k in keys(r) { byKey[Key(currency: r.currency, text: k), default: []].append(Int32(i)) }
        }
        // By date, so a target reads only its window of a busy key (a card processor's name).
        for k in byKey.keys { byKey[k]!.sort { (records[Int($0)].businessDay, $0) < (records[Int($1)].businessDay, $1) } }
        return byKey
    }

    /// Name tokens of at least three letters (prefixed, so they never equal a document key)
    /// and document numbers.
    private func keys(_ r: PreparedRecord) -> [String] {
        r.name.tokens.filter { $0.count >= 3 }.map { "n:" + String(decoding: $0, as: UTF8.self) } + r.documents.map { "d:" + $0 }
    }

    private func search(targets: [PreparedRecord], pool: [PreparedRecord], usedTargets: inout [Bool], usedPool: inout [Bool], kind: MatchKind,
                        threshold: Double, checkCancelled: () throws -> Void) throws -> [ProposedMatch] {
        let byKey = index(pool, used: usedPool)
        var out: [ProposedMatch] = []
        var order = (0..<targets.count).filter { !usedTargets[$0] }
        // Larger amounts first: they have the most members and the fewest rivals.
        order.sort { abs(targets[$0].amount) > abs(targets[$1].amount) }
        for (n, ti) in order.enumerated() {
            if n % 512 == 0 { try checkCancelled() }
            let t = targets[ti]
            var members = Set<Int32>()
            var sharesDocument = Set<Int32>()
            for k in keys(t) {
                guard let list = byKey[Key(currency: t.currency, text: k)] else { continue }
                var lo = 0, hi = list.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if pool[Int(list[mid])].businessDay < t.businessDay - Int32(rules.dateWindowDays) { lo = mid + 1 } else { hi = mid }
                }
                var windowed: [Int32] = []
                while lo < list.count && pool[Int(list[lo])].businessDay <= t.businessDay + Int32(rules.dateWindowDays) {
                    windowed.append(list[lo])
                    lo += 1
                }
                // A key shared by this many records in one window identifies nothing.
                if windowed.count > 200 { continue }
                for pi in windowed where !usedPool[Int(pi)] {
                    if k.hasPrefix("d:") {
                        sharesDocument.insert(pi)
                        members.insert(pi)
                    } else if StringSimilarity.names(t.name, pool[Int(pi)].name) >= Self.nameThreshold {
                        members.insert(pi)
                    }
                }
            }
            guard members.count >= 2 else { continue }
            guard let (candidates, found) = uniqueSubset(members: Array(members), target: t, pool: pool) else { continue }
            let chosen = found.map { Int(candidates[$0]) }
            let sum = chosen.reduce(Int64(0)) { $0 + pool[$1].amount }
            let documentShared = chosen.allSatisfy { sharesDocument.contains(Int32($0)) }
            let confidence = groupConfidence(target: t, members: chosen.map { pool[$0] }, documentShared: documentShared, sum: sum)
            guard confidence >= threshold else { continue }
            usedTargets[ti] = true
            for m in chosen { usedPool[m] = true }
            let spread = chosen.map { Int(abs(pool[$0].businessDay - t.businessDay)) }.max() ?? 0
            let difference = (t.amount - sum).magnitude
            let similarity = t.name.isEmpty ? nil : chosen.map { StringSimilarity.names(t.name, pool[$0].name) }.min()
            let signals = MatchSignals(amountDifference: Int64(difference), dateDistance: spread,
                                       reference: documentShared ? "in_description" : "missing",
                                       counterparty: similarity.map { ($0 * 1000).rounded() / 1000 }, score: 0, competitors: 0)
            let (l, r) = kind == .oneToMany ? ([ti], chosen.sorted()) : (chosen.sorted(), [ti])
            out.append(ProposedMatch(kind: kind, left: l, right: r, confidence: Matcher.rounded(confidence), signals: signals))
        }
        return out
    }

    /// The one subset of `members` that sums to the target: first among the members booked on
    /// each single day (a deposit, a day's card sales), nearest days first, then among all of
    /// them (the closest `maxPool` by date). Nil when none, or when two fit (ambiguous).
    private func uniqueSubset(members: [Int32], target t: PreparedRecord, pool: [PreparedRecord]) -> ([Int32], [Int])? {
        var byDay: [Int32: [Int32]] = [:]
        for m in members { byDay[pool[Int(m)].day, default: []].append(m) }
        var attempts = byDay.values.filter { $0.count >= 2 }.map { $0.sorted() }
        attempts.sort { abs(pool[Int($0[0])].businessDay - t.businessDay) < abs(pool[Int($1[0])].businessDay - t.businessDay) }
        if byDay.count > 1 {
            var all = members
            all.sort { (abs(pool[Int($0)].businessDay - t.businessDay), $0) < (abs(pool[Int($1)].businessDay - t.businessDay), $1) }
            if all.count > Self.maxPool { all.removeLast(all.count - Self.maxPool) }
            attempts.append(all)
        }
        for candidates in attempts {
            let amounts = candidates.map { pool[Int($0)].amount }
            var subset = SubsetSum(amounts: amounts, target: t.amount, tolerance: rules.amountToleranceAbsolute,
                                   maxSize: rules.maxGroupSize, budget: Self.nodeBudget)
            let found = subset.solutions(limit: 2)
            if found.count == 1 && !subset.exhausted { return (candidates, found[0]) }
            // Two fitting subsets (or a search cut short) cannot be told apart.
            if found.count > 1 { return nil }
        }
        return nil
    }

    /// A found subset's confidence: an exact sum among records tied by a shared document
    /// number is strong evidence; by counterparty alone, somewhat less, and less again the
    /// more members and the wider their dates.
    func groupConfidence(target: PreparedRecord, members: [PreparedRecord], documentShared: Bool, sum: Int64) -> Double {
        var logOdds = documentShared ? 6.0 : 5.0
        if sum != target.amount { logOdds -= 1.5 }
        logOdds -= 0.2 * Double(max(0, members.count - 2))
        let spread = members.map { Int(abs($0.businessDay - target.businessDay)) }.max() ?? 0
        logOdds -= 0.3 * Double(spread)
        return 1 / (1 + exp(-logOdds))
    }
}

/// Subsets of at most `maxSize` (at least two) of `amounts` summing to `target` within
/// `tolerance`, by depth-first search with bounds, stopping after `budget` nodes.
struct SubsetSum {
    let amounts: [Int64]
    let target: Int64
    let tolerance: Int64
    let maxSize: Int
    var budget: Int
    private(set) var exhausted = false
    /// For pruning: the most a suffix can still add and the most it can still take away.
    private let positiveSuffix: [Int64]
    private let negativeSuffix: [Int64]

    init(amounts: [Int64], target: Int64, tolerance: Int64, maxSize: Int, budget: Int) {
        self.amounts = amounts
        self.target = target
        self.tolerance = tolerance
        self.maxSize = maxSize
        self.budget = budget
        var pos = [Int64](repeating: 0, count: amounts.count + 1)
        var neg = [Int64](repeating: 0, count: amounts.count + 1)
        for i in stride(from: amounts.count - 1, through: 0, by: -1) {
            pos[i] = pos[i + 1] + max(0, amounts[i])
            neg[i] = neg[i + 1] + min(0, amounts[i])
        }
        positiveSuffix = pos
        negativeSuffix = neg
    }

    mutating func solutions(limit: Int) -> [[Int]] {
        var found: [[Int]] = []
        var chosen: [Int] = []
        dfs(0, 0, &chosen, &found, limit)
        return found
    }

    private mutating func dfs(_ start: Int, _ sum: Int64, _ chosen: inout [Int], _ found: inout [[Int]], _ limit: Int) {
        if found.count >= limit { return }
        if chosen.count >= 2 && abs(sum - target) <= tolerance {
            found.append(chosen)
            // Supersets would only add members that sum to about nothing.
            return
        }
        guard chosen.count < maxSize, start < amounts.count else { return }
        // What the rest can still reach.
        if sum + positiveSuffix[start] < target - tolerance || sum + negativeSuffix[start] > target + tolerance { return }
        for i in start..<amounts.count {
            budget -= 1
            if budget <= 0 {
                exhausted = true
                return
            }
            chosen.append(i)
            dfs(i + 1, sum + amounts[i], &chosen, &found, limit)
            chosen.removeLast()
            if found.count >= limit || exhausted { return }
        }
    }
}
