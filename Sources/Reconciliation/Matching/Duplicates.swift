/// Exact duplicate rows within one side: every field but the id equal (the same statement
/// lines imported twice, an overlapping export). The later copy is reported as a duplicate of
/// the first and never matched, so the one transaction is never booked against two records.
enum Duplicates {
    struct Key: Hashable {
        var amount: Int64
        var day: Int32
        var currency: String
        var reference: String?
        var description: String?
        var counterparty: String?
    }

    /// For each record, the index of the first record it duplicates, or nil.
    static func find(_ records: [MatchInput]) -> [Int?] {
        var first: [Key: Int] = [:]
        first.reserveCapacity(records.count)
        var out = [Int?](repeating: nil, count: records.count)
        for (i, r) in records.enumerated() {
            // Only a row with the statement's own text (a reference or a description) repeated
            // word for word is evidence of a double import; two coffees at one cafe on one day
            // ("-4.50", "CAFE") are two real purchases.
            guard r.reference != nil || r.description != nil else { continue }
            let key = Key(amount: r.amount, day: r.day, currency: r.currency, reference: r.reference, description: r.description, counterparty: r.counterparty)
            if let f = first[key] { out[i] = f } else { first[key] = i }
        }
        return out
    }
}
