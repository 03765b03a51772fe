/// A pair matched within tolerance whose difference is a line of its own: a wire booked as
/// one payment in the ledger and as the transfer plus its fee ("WIRE FEE", "OUTGOING WIRE
/// CHARGE") on the statement. When exactly one free right record of that very amount lies
/// within a business day of the right side's line (one that shares a document number, or else
/// a bank line naming no party), the pair becomes a one-to-many group.
enum ResidualLines {
    static let maxDistance: Int32 = 1

    static func complete(_ matches: inout [ProposedMatch], left: [PreparedRecord], right: [PreparedRecord], usedRight: inout [Bool]) {
        // Free right records by (currency, amount).
        struct Key: Hashable { var currency: Int32; var amount: Int64 }
        var free: [Key: [Int32]] = [:]
        for (i, r) in right.enumerated() where !usedRight[i] { free[Key(currency: r.currency, amount: r.amount), default: []].append(Int32(i)) }
        guard !free.isEmpty else { return }
        for mi in matches.indices where matches[mi].left.count == 1 && matches[mi].right.count == 1 {
            let a = left[matches[mi].left[0]], b = right[matches[mi].right[0]]
            let residual = a.amount - b.amount
            guard residual != 0, (residual < 0) == (a.amount < 0), let list = free[Key(currency: a.currency, amount: residual)] else { continue }
            let near = list.filter { !usedRight[Int($0)] && abs(right[Int($0)].businessDay - b.businessDay) <= maxDistance }
            let linked = near.filter { i in
                let c = right[Int(i)]
                return c.documents.contains { a.documents.contains($0) } || c.cores.contains { a.cores.contains($0) }
            }
            let chosen = linked.count == 1 ? linked : linked.isEmpty ? near.filter { right[Int($0)].name.isEmpty } : []
            guard chosen.count == 1 else { continue }
            let c = Int(chosen[0])
            usedRight[c] = true
            matches[mi].right = [matches[mi].right[0], c].sorted()
            matches[mi].kind = .oneToMany
            matches[mi].signals.amountDifference = 0
        }
    }
}
