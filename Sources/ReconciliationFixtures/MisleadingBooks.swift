import Reconciliation
import SystemSupport

/// Books where the evidence misleads a job that has nothing but its own records: the bank
/// drops the cents of every payment, and each ledger amount recurs exactly on an unrelated
/// bank line three business days later. What reviewers teach (reject those lines, pair the
/// true ones) is what a later job of the same project needs. For the learning-from-review
/// tests; not evidence of quality.
public struct MisleadingBooks: Sendable {
    public var left: [MatchInput] = []
    public var right: [MatchInput] = []
    /// (left id, right id) of every true pair.
    public var truth: Set<[Int64]> = []
    /// Day 20150 is Monday 2025-03-03.
    static let monday: Int32 = 20150

    public init(seed: UInt64, count: Int, idBase: Int64) {
        var rng = SplitMix64(seed: seed)
        for i in 0..<count {
            let cents = Int64(20_000 + rng.next() % 70_000), week = Int32(rng.next() % 12), weekday = Int32(rng.next() % 2)
            let day = Self.monday + week * 7 + weekday
            let a = MatchInput(id: idBase + Int64(i), amount: cents * 100, day: day, currency: "USD")
            let truePart = MatchInput(id: idBase + 100_000 + Int64(i), amount: cents / 100 * 10_000, day: day, currency: "USD")
            let decoy = MatchInput(id: idBase + 200_000 + Int64(i), amount: cents * 100, day: day + 3, currency: "USD")
            left.append(a)
            right += [truePart, decoy]
            truth.insert([a.id, truePart.id])
        }
    }

    /// A side as CSV with the header id,date,amount,currency.
    public static func csv(_ records: [MatchInput]) -> [UInt8] {
        var out = "id,date,amount,currency\n"
        for r in records {
            let (y, m, d) = Gregorian.civil(days: Int(r.day))
            out += "\(r.id),\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d),\(Amounts.text(r.amount)),\(r.currency)\n"
        }
        return Array(out.utf8)
    }
}
