import Foundation

/// A card processor's fee as the settlements show it: a share of the day's sales plus a fixed
/// amount per sale (1.9% + 0.25 is typical), learned from the data rather than configured:
/// every free payout whose linked sales of one day sum to a little more than it is an
/// observation (gross, count, fee); a least-squares fit, refitted without the observations
/// it does not explain, is the rule when enough of them agree. Rules are per processor (the
/// payout's first name word) with one rule over all payouts as the fallback.
public struct FeeRule: Sendable, Equatable {
    /// Share of the gross, as a fraction.
    public var rate: Double
    /// Per sale, in currency units.
    public var perItem: Double
    public var observations: Int

    /// A fee larger than this share of the gross is not a processor's fee.
    static let maxShare = 0.06
    static let minObservations = 3
    /// The fee is rounded once on the total: the rule must explain it within two cents.
    static let slack: Int64 = 200

    static func key(_ t: PreparedRecord) -> String { t.name.tokens.first.map { String(decoding: $0, as: UTF8.self) } ?? "" }

    func fee(gross: Int64, count: Int) -> Int64 {
        let f = rate * Double(gross) / 10_000 + perItem * Double(count)
        return Int64((f * 100).rounded()) * 100
    }

    func explains(gross: Int64, count: Int, net: Int64) -> Bool {
        guard net > 0, gross > net else { return false }
        return abs(gross - net - fee(gross: gross, count: count)) <= Self.slack
    }

    static func learn(targets: [PreparedRecord], pool: [PreparedRecord], usedTargets: [Bool], usedPool: [Bool], finder: GroupFinder) -> [String: FeeRule] {
        let byKey = finder.index(pool, used: usedPool)
        var observations: [String: [(gross: Double, count: Double, fee: Double)]] = [:]
        for (ti, t) in targets.enumerated() where !usedTargets[ti] && t.amount > 0 {
            let linked = finder.members(of: t, byKey: byKey, pool: pool, usedPool: usedPool, kind: .manyToOne)
            guard linked.count >= 2 else { continue }
            var byDay: [Int32: (Int64, Int)] = [:]
            for m in linked.keys where pool[Int(m)].amount > 0 {
                byDay[pool[Int(m)].day, default: (0, 0)].0 += pool[Int(m)].amount
                byDay[pool[Int(m)].day, default: (0, 0)].1 += 1
            }
            for (gross, count) in byDay.values where count >= 2 && gross > t.amount && Double(gross - t.amount) <= maxShare * Double(gross) {
                let o = (gross: Double(gross) / 10_000, count: Double(count), fee: Double(gross - t.amount) / 10_000)
                observations[key(t), default: []].append(o)
                observations["", default: []].append(o)
            }
        }
        var rules: [String: FeeRule] = [:]
        for (k, list) in observations { if let rule = fit(list) { rules[k] = rule } }
        return rules
    }

    /// Least squares of fee = rate x gross + perItem x count, then again over the observations
    /// the first fit explains; a rule only when most of them agree.
    static func fit(_ all: [(gross: Double, count: Double, fee: Double)]) -> FeeRule? {
        guard all.count >= minObservations else { return nil }
        func solve(_ list: [(gross: Double, count: Double, fee: Double)]) -> (Double, Double)? {
            var gg = 0.0, gn = 0.0, nn = 0.0, gf = 0.0, nf = 0.0
            for o in list {
                gg += o.gross * o.gross; gn += o.gross * o.count; nn += o.count * o.count
                gf += o.gross * o.fee; nf += o.count * o.fee
            }
            let det = gg * nn - gn * gn
            guard abs(det) > 1e-9 else { return nil }
            return ((gf * nn - nf * gn) / det, (gg * nf - gn * gf) / det)
        }
        var list = all
        for _ in 0..<3 {
            guard let (rate, perItem) = solve(list) else { return nil }
            let kept = list.filter { abs($0.fee - (rate * $0.gross + perItem * $0.count)) <= 0.02 + 0.01 * $0.fee }
            if kept.count == list.count || kept.count < minObservations {
                guard kept.count >= minObservations, Double(kept.count) >= 0.5 * Double(all.count) || kept.count >= 5,
                      rate >= 0, rate < maxShare, perItem >= 0, perItem < 5 else { return nil }
                return FeeRule(rate: rate, perItem: perItem, observations: kept.count)
            }
            list = kept
        }
        guard let (rate, perItem) = solve(list), rate >= 0, rate < maxShare, perItem >= 0, perItem < 5, list.count >= minObservations else { return nil }
        return FeeRule(rate: rate, perItem: perItem, observations: list.count)
    }
}
