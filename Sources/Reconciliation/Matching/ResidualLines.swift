/// A pair matched within tolerance whose difference is a line of its own: a wire booked as
/// one payment in the ledger and as the transfer plus its fee ("WIRE FEE", "OUTGOING WIRE
/// CHARGE") on the statement, or a payment made in two instalments whose larger one was
/// paired. When exactly one free right record of that very amount fits (one sharing a document
/// number or the party's name within the date window, or else a bank line naming no party
/// within a business day of the paired line), the pair becomes a one-to-many group.
enum ResidualLines {
    static let maxUnlinkedDistance: Int32 = 1

    static func complete(_ matches: inout [ProposedMatch], left: [PreparedRecord], right: [PreparedRecord], usedRight: inout [Bool],
                         window: Int32) {
        // Free right records by (currency, amount).
        struct Key: Hashable { var currency: Int32; var amount: Int64 }
        var free: [Key: [Int32]] = [:]
        for (i, r) in right.enumerated() where !usedRight[i] { free[Key(currency: r.currency, amount: r.amount), default: []].append(Int32(i)) }
        guard !free.isEmpty else { return }
        for mi in matches.indices where matches[mi].left.count == 1 && matches[mi].right.count == 1 {
            let a = left[matches[mi].left[0]], b = right[matches[mi].right[0]]
            let residual = a.amount - b.amount
            guard residual != 0, (residual < 0) == (a.amount < 0), let list = free[Key(currency: a.currency, amount: residual)] else { continue }
            let free = list.filter { !usedRight[Int($0)] && abs(right[Int($0)].businessDay - b.businessDay) <= window }
            let linked = free.filter { i in
                let c = right[Int(i)]
                return c.documents.contains { a.documents.contains($0) } || c.cores.contains { a.cores.contains($0) }
                    || (!c.name.isEmpty && !a.name.isEmpty && StringSimilarity.names(a.name, c.name) >= 0.9)
            }
            let unlinked = free.filter { right[Int($0)].name.isEmpty && abs(right[Int($0)].businessDay - b.businessDay) <= maxUnlinkedDistance }
            let chosen = linked.count == 1 ? linked : linked.isEmpty ? unlinked : []
            guard chosen.count == 1 else { continue }
            let c = Int(chosen[0])
            usedRight[c] = true
            matches[mi].right = [matches[mi].right[0], c].sorted()
            matches[mi].kind = .oneToMany
            matches[mi].signals.amountDifference = 0
        }
    }
}
