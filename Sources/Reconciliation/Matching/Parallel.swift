import Dispatch
import Foundation

/// Runs `count` independent pieces of work on the system's threads and returns their results
/// in order (the matcher splits its two sides, or a round of records, this way).
enum Parallel {
    static func map<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
        let slots = Slots<T>(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { i in slots.set(i, body(i)) }
        return slots.values.map { $0! }
    }

    private final class Slots<T: Sendable>: @unchecked Sendable {
        private var slots: [T?]
        private let lock = NSLock()
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ v: T) { lock.lock(); slots[i] = v; lock.unlock() }
        var values: [T?] { lock.lock(); defer { lock.unlock() }; return slots }
    }
}
