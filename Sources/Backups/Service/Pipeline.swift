import SystemSupport

/// A bounded hand-off between two threads (producer blocks when `capacity` items wait), so a
/// backup or restore uses both cores: one thread talks to PostgreSQL, the other compresses and
/// encrypts (or decrypts and decompresses). Memory stays bounded by the capacity.
final class Pipeline<T>: @unchecked Sendable {
    private let condition = ConditionLock()
    private var items: [T] = []
    private var closed = false
    private var failure: (any Error)?
    let capacity: Int

    init(capacity: Int = 16) { self.capacity = capacity }

    /// Blocks while full; throws the consumer's failure, if any.
    func put(_ item: T) throws {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && failure == nil { condition.wait() }
        if let failure { throw failure }
        items.append(item)
        condition.broadcast()
    }

    /// The next item; nil once closed and drained. Throws the producer's failure.
    func take() throws -> T? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed && failure == nil { condition.wait() }
        if let failure { throw failure }
        guard !items.isEmpty else { return nil }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Ends the pipeline with an error both sides see.
    func fail(_ error: any Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    /// Runs `body` on its own thread; returns a function that waits for it and rethrows its error.
    static func background(_ body: @escaping () throws -> Void) throws -> () throws -> Void {
        let outcome = StageOutcome()
        let box = UncheckedBox(body)
        let thread = try OSThread.spawn(name: "backup-stage") {
            do { try box.value() } catch { outcome.error = error }
        }
        return {
            thread.join()
            if let e = outcome.error { throw e }
        }
    }
}

final class StageOutcome: @unchecked Sendable {
    var error: (any Error)?
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
