import Synchronization

/// Runs a closure on a thread of its own and hands back a way to wait for its result: for
/// shutting down two things at once (requests drain while jobs stop).
public enum Background {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) -> () -> T {
        let result = Mutex<T?>(nil)
        guard let thread = try? OSThread.spawn(name: "background", { result.withLock { $0 = body() } }) else {
            let value = body()
            return { value }
        }
        return {
            thread.join()
            return result.withLock { $0! }
        }
    }

    /// Runs a closure on a detached thread of its own (fire and forget); on the calling thread
    /// when no thread can be started.
    public static func detached(name: String = "background", _ body: @escaping @Sendable () -> Void) {
        guard let thread = try? OSThread.spawn(name: name, body) else { return body() }
        thread.detach()
    }
}
