import Glibc
import Synchronization
import Dispatch

/// Tells work that its result is no longer wanted (the request's deadline passed, the client
/// went away), and lets the code doing blocking work register how to interrupt it: the
/// PostgreSQL layer registers PQcancel for the statement it is waiting on.
///
/// The worker thread running a request makes its token `current` (a thread-local), so layers
/// below the handler find it without it being passed through every call.
public final class CancellationToken: Sendable {
    private struct State {
        var cancelled = false
        var interrupt: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    public init() {}

    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Marks the work cancelled and interrupts what it is blocked on, off the calling thread
    /// (an interrupt may itself block: PQcancel opens a connection).
    public func cancel() {
        let interrupt = state.withLock { s -> (@Sendable () -> Void)? in
            guard !s.cancelled else { return nil }
            s.cancelled = true
            return s.interrupt
        }
        if let interrupt { DispatchQueue.global().async { interrupt() } }
    }

    /// Runs `body` with `interrupt` registered: a cancel while it runs calls `interrupt`. If the
    /// token is already cancelled, `interrupt` is called at once, asynchronously, too.
    public func whileRunning<T>(interrupt: @escaping @Sendable () -> Void, _ body: () throws -> T) rethrows -> T {
        let already = state.withLock { s -> Bool in
            s.interrupt = interrupt
            return s.cancelled
        }
        if already { DispatchQueue.global().async { interrupt() } }
        defer { state.withLock { $0.interrupt = nil } }
        return try body()
    }

    // MARK: - The current thread's token

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// The token of the work running on this thread, if any.
    public static var current: CancellationToken? {
        guard let p = pthread_getspecific(key) else { return nil }
        return Unmanaged<CancellationToken>.fromOpaque(p).takeUnretainedValue()
    }

    /// Runs `body` with `token` as the current thread's token.
    public static func withCurrent<T>(_ token: CancellationToken?, _ body: () throws -> T) rethrows -> T {
        let previous = pthread_getspecific(key)
        if let token {
            pthread_setspecific(key, Unmanaged.passUnretained(token).toOpaque())
        } else {
            pthread_setspecific(key, nil)
        }
        defer { pthread_setspecific(key, previous) }
        return try withExtendedLifetime(token) { try body() }
    }
}
