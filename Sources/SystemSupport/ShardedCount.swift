import Synchronization

/// A count changed on hot paths by several threads, kept in one cell per thread (a shard)
/// and summed when read. Threads adding to one shared atomic fight over its cache line on
/// every change; each thread changing only its own shard never does.
public final class ShardedCount: Sendable {
    /// One thread's part of the count. Padded so two shards never share a cache line.
    public final class Shard: Sendable {
        fileprivate let value = Atomic<Int>(0)
        private let padding: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)

        @inline(__always) public func add(_ n: Int) { value.add(n, ordering: .relaxed) }
        @inline(__always) public func subtract(_ n: Int) { value.subtract(n, ordering: .relaxed) }
    }

    private let shards = Mutex<[Shard]>([])

    public init() {}

    /// A new shard for the calling thread to keep; it counts towards `total` for good.
    public func makeShard() -> Shard {
        let shard = Shard()
        shards.withLock { $0.append(shard) }
        return shard
    }

    public var total: Int {
        shards.withLock { $0.reduce(0) { $0 + $1.value.load(ordering: .relaxed) } }
    }
}
