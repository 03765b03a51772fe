import Synchronization

/// Bytes that all connections together may hold for one purpose (incomplete request bodies).
/// Shared by every event loop; charged as bytes arrive and released when they are handed on.
final class MemoryBudget: Sendable {
    let limit: Int
    private let used = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    var inUse: Int { used.load(ordering: .relaxed) }

    /// Whether `bytes` more still fit.
    func admits(_ bytes: Int) -> Bool { used.load(ordering: .relaxed) + bytes <= limit }

    func charge(_ bytes: Int) { if bytes != 0 { used.add(bytes, ordering: .relaxed) } }
}
