import Foundation

/// One-to-many and many-to-one groups among the records pairs left unmatched: a payment
/// split into several lines, a deposit of several checks, a settlement of a day's card sales
/// (gross, or less a processor fee), one transfer paying several invoices. For a target
/// record, the pool is the other side's free records in its currency and date window that
/// share a link with it: a document number or numeric core, a counterparty name, or a rare
/// word of the texts (a processor's name in "Card sale via Swipely" and "SWIPELY PAYMENTS").
/// A bounded search then looks for the subset whose sum is the target's amount: first each
/// day's linked records whole (a day's sales), then subsets. A deposit with no link at all
/// is looked for among the ledger's undeposited checks of the days before it. A target with
/// two different fitting subsets is ambiguous and left for review.
///
/// Bounds: at most `maxPool` members per search (closest dates first), `nodeBudget` search
/// nodes per target; past them the target is left unmatched, never guessed.
struct GroupFinder {
    let rules: MatchRules
    let left: [PreparedRecord]
    let right: [PreparedRecord]
    /// Pool members considered per subset search (closest dates first).
    static let maxPool = 24
    /// Search nodes per target, over all its attempts: the subset search stays bounded
    /// whatever the data.
    static let nodeBudget = 100_000
    /// A link word carried by more than this share of a side's records identifies nothing.
    static let commonShare = 0.03
    /// Checks are deposited within this many business days after they were booked.
    static let depositLag: Int32 = 6

    init(rules: MatchRules, left: [PreparedRecord], right: [PreparedRecord]) {
        self.rules = rules
        self.left = left
        self.right = right
    }

    struct Key: Hashable { var currency: Int32; var text: String }

    /// How a group's members were tied to its target, strongest first.
    enum Link: Int, Comparable {
        case document, name, word, none
        static func < (a: Link, b: Link) -> Bool { a.rawValue < b.rawValue }
    }

    /// The fee rules learned by the last `find`.
    private(set) var feeRules: [String: FeeRule] = [:]

    mutating func find(usedLeft: inout [Bool], usedRight: inout [Bool], threshold: Double, checkCancelled: () throws -> Void) throws -> [ProposedMatch] {
        var out: [ProposedMatch] = []
        let fees = FeeRule.learn(targets: right, pool: left, usedTargets: usedRight, usedPool: usedLeft, finder: self)
        feeRules = fees
        // Several left lines paid by one right, then one left paid by several right lines.
        out += try search(targets: right, pool: left, usedTargets: &usedRight, usedPool: &usedLeft, kind: .manyToOne, threshold: threshold,
                          fees: fees, checkCancelled: checkCancelled)
        out += try search(targets: left, pool: right, usedTargets: &usedLeft, usedPool: &usedRight, kind: .oneToMany, threshold: threshold,
                          fees: [:], checkCancelled: checkCancelled)
        out += try checkDeposits(usedLeft: &usedLeft, usedRight: &usedRight, threshold: threshold, checkCancelled: checkCancelled)
        return out
    }

    /// Link keys of a record: document numbers and cores ("d:"), name tokens ("n:"), and, for
    /// pool records, the words of the description too: a target's party named in its members'
    /// texts ("SWIPELY PAYMENTS" and "Card sale via Swipely") links them; two texts that merely
    /// share a word do not.
    func keys(_ r: PreparedRecord, asPool: Bool) -> [(String, Link)] {
        var out = r.documents.map { ("d:" + $0, Link.document) } + r.cores.map { ("d:" + $0, Link.document) }
        for t in r.name.tokens where t.count >= 3 { out.append(("n:" + String(decoding: t, as: UTF8.self), .name)) }
        if asPool { r.words.forEach { w in if w.count >= 4 { out.append(("n:" + String(decoding: w, as: UTF8.self), .word)) } } }
        return out
    }

    /// The pool's free records by key, each list by date; keys too common to link anything left out.
    func index(_ records: [PreparedRecord], used: [Bool]) -> [Key: [Int32]] {
        var byKey: [Key: [Int32]] = [:]
        for (i, r) in records.enumerated() where !used[i] {
            var seen = Set<String>()
            for (k, _) in keys(r, asPool: true) where seen.insert(k).inserted { byKey[Key(currency: r.currency, text: k), default: []].append(Int32(i)) }
        }
        let limit = max(30, Int(Double(records.count) * Self.commonShare))
        byKey = byKey.filter { $0.key.text.hasPrefix("d:") || $0.value.count <= limit }
        // By date, so a target reads only its window of a busy key (a card processor's name).
        for k in byKey.keys { byKey[k]!.sort { (records[Int($0)].businessDay, $0) < (records[Int($1)].businessDay, $1) } }
        return byKey
    }

    /// The free pool records linked to a target within the window, with their strongest link.
    func members(of t: PreparedRecord, byKey: [Key: [Int32]], pool: [PreparedRecord], usedPool: [Bool], kind: MatchKind) -> [Int32: Link] {
        var members: [Int32: Link] = [:]
        // Many-to-one: the members come before the target (sales before their payout).
        let window = Int32(rules.dateWindowDays)
        let (low, high) = kind == .manyToOne ? (t.businessDay - window, t.businessDay + 1) : (t.businessDay - 1, t.businessDay + window)
        for (k, targetLink) in keys(t, asPool: false) {
            guard let list = byKey[Key(currency: t.currency, text: k)] else { continue }
            var lo = 0, hi = list.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if pool[Int(list[mid])].businessDay < low { lo = mid + 1 } else { hi = mid }
            }
            var i = lo
            while i < list.count && pool[Int(list[i])].businessDay <= high {
                let pi = list[i]
                i += 1
                guard !usedPool[Int(pi)], (pool[Int(pi)].amount < 0) == (t.amount < 0) || kind == .manyToOne else { continue }
                var link = targetLink
                if link == .name || link == .word {
                    // A shared name token counts as a name only when the names are alike.
                    let alike = !t.name.isEmpty && !pool[Int(pi)].name.isEmpty && StringSimilarity.names(t.name, pool[Int(pi)].name) >= 0.9
                    link = alike ? .name : .word
                }
                if let existing = members[pi], existing <= link { continue }
                members[pi] = link
            }
        }
        return members
    }

    private func search(targets: [PreparedRecord], pool: [PreparedRecord], usedTargets: inout [Bool], usedPool: inout [Bool], kind: MatchKind,
                        threshold: Double, fees: [String: FeeRule], checkCancelled: () throws -> Void) throws -> [ProposedMatch] {
        let byKey = index(pool, used: usedPool)
        var out: [ProposedMatch] = []
        var order = (0..<targets.count).filter { !usedTargets[$0] }
        // Larger amounts first: they have the most members and the fewest rivals.
        order.sort { abs(targets[$0].amount) > abs(targets[$1].amount) }
        for (n, ti) in order.enumerated() {
            if n % 512 == 0 { try checkCancelled() }
            let t = targets[ti]
            let linked = members(of: t, byKey: byKey, pool: pool, usedPool: usedPool, kind: kind)
            guard linked.count >= 2 else { continue }
            guard let found = fittingGroup(linked, target: t, pool: pool, fees: fees, kind: kind) else { continue }
            let link = found.members.map { linked[$0]! }.max()!
            let sum = found.members.reduce(Int64(0)) { $0 + pool[Int($1)].amount }
            let difference = found.fee ? FeeRule.slack : t.amount - sum
            let confidence = Self.confidence(choices: found.choices, difference: difference, target: t.amount)
            guard confidence >= threshold else { continue }
            out.append(accept(ti, found.members.map(Int.init), targets: targets, pool: pool, usedTargets: &usedTargets, usedPool: &usedPool,
                              kind: kind, link: link, confidence: confidence))
        }
        return out
    }

    func accept(_ ti: Int, _ chosen: [Int], targets: [PreparedRecord], pool: [PreparedRecord], usedTargets: inout [Bool], usedPool: inout [Bool],
                kind: MatchKind, link: Link, confidence: Double) -> ProposedMatch {
        let t = targets[ti]
        usedTargets[ti] = true
        for m in chosen { usedPool[m] = true }
        let sum = chosen.reduce(Int64(0)) { $0 + pool[$1].amount }
        let spread = chosen.map { Int(abs(pool[$0].businessDay - t.businessDay)) }.max() ?? 0
        let similarity = t.name.isEmpty || link != .name ? nil : chosen.map { StringSimilarity.names(t.name, pool[$0].name) }.min()
        let signals = MatchSignals(amountDifference: Int64((t.amount - sum).magnitude), dateDistance: spread,
                                   reference: link == .document ? "contained" : "absent",
                                   counterparty: similarity.map { ($0 * 1000).rounded() / 1000 }, score: 0, competitors: 0,
                                   contributions: [.init(field: "link", level: ["document", "counterparty", "word", "none"][link.rawValue], weight: 0)])
        let (l, r) = kind == .oneToMany ? ([ti], chosen.sorted()) : (chosen.sorted(), [ti])
        return ProposedMatch(kind: kind, left: l, right: r, confidence: Matcher.rounded(confidence), signals: signals)
    }

    struct Found {
        var members: [Int32]
        var exact: Bool
        var fee: Bool
        /// How many sets the search could have taken (for the chance of a coincidence).
        var choices: Double
    }

    /// The one group of linked records that pays the target: a whole day of them (gross, or
    /// less the processor's learned fee), else the one subset that sums to it. Nil when none,
    /// or when two fit.
    func fittingGroup(_ linked: [Int32: Link], target t: PreparedRecord, pool: [PreparedRecord], fees: [String: FeeRule], kind: MatchKind) -> Found? {
        // Strongest links first: the records sharing a document number with the target, then
        // those of its counterparty too, then those sharing a word. A tier that fits wins; one
        // where two groups fit is ambiguous, and so is every larger tier.
        var budget = Self.nodeBudget
        var tried = 0
        for tier in [Link.document, .name, .word] {
            let members = linked.filter { $0.value <= tier }.map(\.key)
            guard members.count >= 2, members.count > tried else { continue }
            tried = members.count
            switch fitting(members, target: t, pool: pool, fees: fees, kind: kind, budget: &budget) {
            case .found(let f): return f
            case .ambiguous: return nil
            case .none: continue
            }
        }
        return nil
    }

    enum Fit { case found(Found), ambiguous, none }

    /// Among `members`: a whole day of them (gross, or less the learned fee), else the one
    /// subset that sums to the target (each day's first, then all of them, closest first).
    func fitting(_ members: [Int32], target t: PreparedRecord, pool: [PreparedRecord], fees: [String: FeeRule], kind: MatchKind,
                 budget: inout Int) -> Fit {
        var byDay: [Int32: [Int32]] = [:]
        for m in members { byDay[pool[Int(m)].day, default: []].append(m) }
        var days = byDay.keys.sorted { (abs(BusinessDays.index($0) - t.businessDay), $0) < (abs(BusinessDays.index($1) - t.businessDay), $1) }
        days.removeAll { byDay[$0]!.count < 2 }
        if kind == .manyToOne {
            for (tried, d) in days.enumerated() {
                let batch = byDay[d]!.sorted()
                let sum = batch.reduce(Int64(0)) { $0 + pool[Int($1)].amount }
                if sum == t.amount { return .found(Found(members: batch, exact: true, fee: false, choices: Double(tried + 1))) }
                if let rule = fees[FeeRule.key(t)] ?? fees[""], rule.explains(gross: sum, count: batch.count, net: t.amount) {
                    return .found(Found(members: batch, exact: true, fee: true, choices: Double(tried + 1)))
                }
            }
            // A processor pays a day's sales out in several batches: each a run of consecutive
            // sale numbers.
            for d in days {
                switch consecutiveRun(byDay[d]!, target: t, pool: pool, fees: fees) {
                case .found(let f): return .found(f)
                case .ambiguous: return .ambiguous
                case .none: continue
                }
            }
        }
        var attempts = days.map { byDay[$0]!.sorted() }
        if byDay.count > 1 {
            var all = members
            all.sort { (abs(pool[Int($0)].businessDay - t.businessDay), $0) < (abs(pool[Int($1)].businessDay - t.businessDay), $1) }
            if all.count > Self.maxPool { all.removeLast(all.count - Self.maxPool) }
            attempts.append(all)
        }
        var choices = Double(days.count)
        for var candidates in attempts {
            if candidates.count > Self.maxPool { candidates.removeLast(candidates.count - Self.maxPool) }
            let amounts = candidates.map { pool[Int($0)].amount }
            var subset = SubsetSum(amounts: amounts, target: t.amount, tolerance: rules.amountToleranceAbsolute,
                                   maxSize: rules.maxGroupSize, budget: budget)
            let found = subset.solutions(limit: 2)
            budget = subset.budget
            choices += Self.subsets(candidates.count, maxSize: rules.maxGroupSize)
            if found.count == 1 && !subset.exhausted {
                let chosen = found[0].map { candidates[$0] }
                let sum = chosen.reduce(Int64(0)) { $0 + pool[Int($1)].amount }
                return .found(Found(members: chosen, exact: sum == t.amount, fee: false, choices: choices))
            }
            // Two fitting subsets cannot be told apart; a search cut short proves nothing.
            if found.count > 1 { return .ambiguous }
            if subset.exhausted { return .none }
        }
        return .none
    }

    /// The one run of records, in the order of their sequence numbers (the last number of their
    /// reference: "SALE-50073"), that pays the target, gross or less the learned fee. Only when
    /// every record has a distinct sequence number.
    func consecutiveRun(_ records: [Int32], target t: PreparedRecord, pool: [PreparedRecord], fees: [String: FeeRule]) -> Fit {
        let numbered = records.compactMap { r in Self.sequenceNumber(pool[Int(r)]).map { (r, $0) } }
        guard numbered.count == records.count, numbered.count >= 3, Set(numbered.map(\.1)).count == numbered.count else { return .none }
        let ordered = numbered.sorted { $0.1 < $1.1 }.map(\.0)
        let rule = fees[FeeRule.key(t)] ?? fees[""]
        var found: [[Int32]] = []
        var runs = 0
        for start in 0..<ordered.count {
            var sum: Int64 = 0
            for end in start..<min(ordered.count, start + rules.maxGroupSize) {
                sum += pool[Int(ordered[end])].amount
                let count = end - start + 1
                guard count >= 2 else { continue }
                runs += 1
                if sum == t.amount || rule?.explains(gross: sum, count: count, net: t.amount) == true {
                    found.append(Array(ordered[start...end]))
                    if found.count > 1 { return .ambiguous }
                }
            }
        }
        guard let members = found.first else { return .none }
        let sum = members.reduce(Int64(0)) { $0 + pool[Int($1)].amount }
        return .found(Found(members: members.sorted(), exact: true, fee: sum != t.amount, choices: Double(runs)))
    }

    /// A record's sequence number: its last all-digit numeric core.
    static func sequenceNumber(_ r: PreparedRecord) -> Int64? {
        r.cores.last(where: { !$0.contains(".") }).flatMap { Int64($0) }
    }

    /// Deposits with no link at all (no reference, no name): the one subset of the ledger's
    /// free checks of the days before the deposit that sums to it exactly.
    private mutating func checkDeposits(usedLeft: inout [Bool], usedRight: inout [Bool], threshold: Double,
                                        checkCancelled: () throws -> Void) throws -> [ProposedMatch] {
        var checks: [Int32: [Int32]] = [:]  // by currency, in date order
        for (i, r) in left.enumerated() where !usedLeft[i] && r.amount > 0 && r.isCheck { checks[r.currency, default: []].append(Int32(i)) }
        for k in checks.keys { checks[k]!.sort { (left[Int($0)].businessDay, $0) < (left[Int($1)].businessDay, $1) } }
        var out: [ProposedMatch] = []
        let targets = (0..<right.count).filter { !usedRight[$0] && right[$0].amount > 0 && right[$0].name.isEmpty && right[$0].reference == nil }
        for (n, ti) in targets.enumerated() {
            if n % 512 == 0 { try checkCancelled() }
            let t = right[ti]
            guard let list = checks[t.currency] else { continue }
            var pool = list.filter { !usedLeft[Int($0)] && left[Int($0)].businessDay <= t.businessDay && left[Int($0)].businessDay >= t.businessDay - Self.depositLag
                && left[Int($0)].amount <= t.amount }
            guard pool.count >= 2 else { continue }
            pool.sort { (t.businessDay - left[Int($0)].businessDay, $0) < (t.businessDay - left[Int($1)].businessDay, $1) }
            if pool.count > Self.maxPool { pool.removeLast(pool.count - Self.maxPool) }
            var subset = SubsetSum(amounts: pool.map { left[Int($0)].amount }, target: t.amount, tolerance: 0, maxSize: rules.maxGroupSize,
                                   budget: Self.nodeBudget)
            let found = subset.solutions(limit: 2)
            guard found.count == 1, !subset.exhausted else { continue }
            let members = found[0].map { pool[$0] }
            let confidence = Self.confidence(choices: Self.subsets(pool.count, maxSize: rules.maxGroupSize), difference: 0, target: t.amount)
            guard confidence >= threshold else { continue }
            out.append(accept(ti, members.map(Int.init), targets: right, pool: left, usedTargets: &usedRight, usedPool: &usedLeft,
                              kind: .manyToOne, link: .none, confidence: confidence))
        }
        return out
    }

    /// A found group's confidence: the chance that its sum is not a coincidence. Among
    /// `choices` candidate sets (the subsets the search could have formed, or the days tried
    /// whole), the expected number that hit the target by chance is choices x window / range,
    /// with the window the sum's observed distance from the target (one cent when exact) and
    /// the range the target's size in cents. Having found exactly one fitting set, the posterior
    /// that it is the true one is 1 / (1 + that expectation).
    static func confidence(choices: Double, difference: Int64, target: Int64) -> Double {
        let window = Double(2 * (difference.magnitude / 100) + 1)
        let range = max(1, Double(target.magnitude / 100))
        return 1 / (1 + choices * window / range)
    }

    /// Subsets of 2 to `maxSize` members of a pool of `n`.
    static func subsets(_ n: Int, maxSize: Int) -> Double {
        guard n >= 2 else { return 0 }
        var total = 0.0, c = Double(n)  // C(n, 1)
        for k in 2...max(2, min(n, maxSize)) {
            c = c * Double(n - k + 1) / Double(k)
            total += c
        }
        return total
    }
}
