/// A min-heap of connection deadlines with lazy invalidation: moving a deadline later pushes
/// nothing; an entry whose token no longer matches its connection is dropped when it surfaces.
/// Pushes happen only when a deadline moves earlier, so the heap stays near one entry per
/// connection even at high request rates.
struct TimerHeap {
    struct Entry {
        var deadline: Int64
        var fd: Int32
        var token: UInt64
    }

    private var items: [Entry] = []

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var earliest: Int64? { items.first?.deadline }

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].deadline < items[parent].deadline else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    /// Removes and returns the earliest entry if it is due.
    mutating func popDue(now: Int64) -> Entry? {
        guard let top = items.first, top.deadline <= now else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l].deadline < items[m].deadline { m = l }
                if r < items.count && items[r].deadline < items[m].deadline { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
