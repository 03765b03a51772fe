import SystemSupport
import Glibc

public enum IsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

/// Hooks for metrics and logs; the pool knows nothing of either.
public protocol PoolObserver: Sendable {
    func checkedOut(waitSeconds: Double)
    func checkoutTimedOut()
    func transactionFinished(committed: Bool)
    /// COMMIT itself failed; with `outcomeUnknown` the connection broke during it.
    func commitFailed(_ error: PostgresError)
    func transactionRetried()
    func connectionDiscarded(reason: String)
    func notice(_ message: String)
    func queryFinished(seconds: Double)
}

public struct PoolStatistics: Sendable, Equatable {
    public var open: Int
    public var idle: Int
    public var waiters: Int
    public var inUse: Int { open - idle }
}

/// A bounded set of connections with scoped access only.
///
/// - `withConnection { conn in }` lends a connection for the closure; `transaction { tx in }`
///   wraps the closure in BEGIN/COMMIT and rolls back when it throws.
/// - Checkout waits up to `checkoutTimeoutMs`, then throws `.poolTimeout` (a 503 upstream).
/// - A connection idle for more than `validateAfterIdleMs` is pinged first; a broken one is
///   discarded and replaced; one older than `recycleAfterMs` is closed when returned; one
///   returned inside a transaction is rolled back, or discarded if that fails.
/// - State changes under the lock; connecting, pinging and closing happen outside it.
public final class ConnectionPool: @unchecked Sendable {
    public let configuration: PostgresConfiguration
    let observer: (any PoolObserver)?
    private let lock = ConditionLock()
    // Guarded by `lock`.
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiters = 0
    private var closed = false

    public init(configuration: PostgresConfiguration, observer: (any PoolObserver)? = nil) {
        self.configuration = configuration
        self.observer = observer
    }

    public var statistics: PoolStatistics {
        lock.lock()
        defer { lock.unlock() }
        return PoolStatistics(open: open, idle: idle.count, waiters: waiters)
    }

    /// Lends a connection for the duration of `body`.
    /// The body's result may be dropped: a statement run for its effect returns rows too.
    @discardableResult
    public func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try checkout()
        defer { checkin(connection) }
        return try body(connection)
    }

    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws. With
    /// `retryable`, a serialization failure or deadlock re-runs the whole body (it must be safe
    /// to repeat) after a jittered backoff, at most `maxAttempts` times.
    @discardableResult
    public func transaction<T>(isolation: IsolationLevel = .readCommitted, retryable: Bool = false, maxAttempts: Int = 5,
                               _ body: (Transaction) throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try withConnection { try runTransaction(on: $0, isolation: isolation, body) }
            } catch let e as PostgresError where retryable && e.isRetryable && attempt < maxAttempts {
                observer?.transactionRetried()
                let base = 5_000 << min(attempt - 1, 6) // microseconds: 5, 10, 20 ms ...
                usleep(UInt32(base + Int.random(in: 0..<base)))
                attempt += 1
            }
        }
    }

    /// A transaction scope on a connection the caller already holds (one that keeps a session
    /// advisory lock, say), so that it never waits for a second connection of the same pool.
    @discardableResult
    public func transaction<T>(on c: PostgresConnection, isolation: IsolationLevel = .readCommitted, _ body: (Transaction) throws -> T) throws -> T {
        try runTransaction(on: c, isolation: isolation, body)
    }

    /// The transaction scope on a given connection (the migrator's holds its advisory lock).
    func runTransaction<T>(on c: PostgresConnection, isolation: IsolationLevel, _ body: (Transaction) throws -> T) throws -> T {
        try c.execute(unsafeSQL: "BEGIN ISOLATION LEVEL \(isolation.rawValue)")
        let tx = Transaction(connection: c)
        defer { tx.isOpen = false }
        let result: T
        do {
            result = try body(tx)
            // A statement that failed inside the body (and was caught there) aborted the
            // transaction; COMMIT would silently roll back, so report it as the failure it is.
            guard c.isInFailedTransaction == false else {
                throw PostgresError(.usage, "transaction aborted by an earlier failed statement")
            }
        } catch {
            if !c.isBroken { try? c.execute(unsafeSQL: "ROLLBACK") }
            observer?.transactionFinished(committed: false)
            throw error
        }
        do {
            try c.execute(unsafeSQL: "COMMIT")
        } catch let e as PostgresError {
            let failure = Self.commitFailure(e, connectionBroken: c.isBroken)
            observer?.commitFailed(failure)
            throw failure
        }
        observer?.transactionFinished(committed: true)
        return result
    }

    /// A failed COMMIT is not a failed body: the work was done and then refused (a deferred
    /// constraint, a serialization failure: the server rolled back), or the connection broke
    /// during COMMIT and nobody knows whether it took effect.
    static func commitFailure(_ e: PostgresError, connectionBroken: Bool) -> PostgresError {
        var failure = e
        failure.code = .commitFailed
        failure.outcomeUnknown = connectionBroken || e.code == .connectionFailed
        failure.message = (failure.outcomeUnknown ? "connection lost during COMMIT; outcome unknown: " : "COMMIT failed: ") + e.message
        return failure
    }

    /// Closes idle connections and refuses further checkouts. Connections in use are closed
    /// when they come back.
    public func shutdown() {
        lock.lock()
        closed = true
        let toClose = idle
        idle = []
        open -= toClose.count
        lock.broadcast()
        lock.unlock()
        _ = toClose // closed (PQfinish) as they are released here, outside the lock
    }

    // MARK: - Checkout and return

    func checkout() throws -> PostgresConnection {
        let start = MonotonicClock.milliseconds()
        let deadline = start + Int64(configuration.checkoutTimeoutMs)
        lock.lock()
        while true {
            if closed {
                lock.unlock()
                throw PostgresError(.poolClosed, "connection pool is shut down")
            }
            if let c = idle.popLast() {
                lock.unlock()
                if let reason = problem(with: c) {
                    discard(c, reason: reason)
                    lock.lock()
                    continue
                }
                observer?.checkedOut(waitSeconds: Double(MonotonicClock.milliseconds() - start) / 1000)
                return c
            }
            if open < configuration.poolSize + configuration.maxOverflow {
                open += 1
                lock.unlock()
                do {
                    let c = try PostgresConnection.connect(configuration) { [observer] in observer?.notice($0) }
                    if let observer { c.onQuery = { observer.queryFinished(seconds: $0) } }
                    observer?.checkedOut(waitSeconds: Double(MonotonicClock.milliseconds() - start) / 1000)
                    return c
                } catch {
                    lock.lock()
                    open -= 1
                    lock.signal()
                    lock.unlock()
                    throw error
                }
            }
            waiters += 1
            let signalled = lock.wait(untilMilliseconds: deadline)
            waiters -= 1
            if !signalled && MonotonicClock.milliseconds() >= deadline {
                lock.unlock()
                observer?.checkoutTimedOut()
                throw PostgresError(.poolTimeout, "no database connection free within \(configuration.checkoutTimeoutMs) ms")
            }
        }
    }

    /// Why a pooled connection must not be handed out, or nil when it is fine.
    private func problem(with c: PostgresConnection) -> String? {
        if c.hasDiedWhileIdle { return "closed by server" }
        let now = MonotonicClock.milliseconds()
        if now - c.createdAt > Int64(configuration.recycleAfterMs) { return "recycled" }
        if now - c.lastUsedAt > Int64(configuration.validateAfterIdleMs) {
            do { try c.query("SELECT 1") } catch { return "failed validation" }
        }
        return nil
    }

    private func discard(_ c: PostgresConnection, reason: String) {
        observer?.connectionDiscarded(reason: reason)
        lock.lock()
        open -= 1
        lock.signal()
        lock.unlock()
        // `c` is closed when the last reference goes, after the lock is released.
    }

    func checkin(_ c: PostgresConnection) {
        var reason: String? = nil
        if c.isBroken {
            reason = "broken"
        } else if !c.isIdleOutsideTransaction {
            try? c.execute(unsafeSQL: "ROLLBACK")
            if c.isBroken || !c.isIdleOutsideTransaction { reason = "left inside a transaction" }
        }
        if reason == nil && MonotonicClock.milliseconds() - c.createdAt > Int64(configuration.recycleAfterMs) { reason = "recycled" }
        lock.lock()
        if reason == nil && !closed && idle.count < configuration.poolSize {
            idle.append(c)
            lock.signal()
            lock.unlock()
            return
        }
        lock.unlock()
        discard(c, reason: reason ?? (closed ? "pool closed" : "overflow"))
    }
}

/// A transaction scope. Valid only inside the closure that received it.
public final class Transaction {
    let connection: PostgresConnection
    var isOpen = true
    private var savepoints = 0

    init(connection: PostgresConnection) { self.connection = connection }

    @discardableResult
    public func query(_ q: PostgresQuery) throws -> PostgresRows {
        try ensureOpen()
        return try connection.query(q)
    }

    /// See `PostgresConnection.forEachRow`.
    @discardableResult
    public func forEachRow(_ q: PostgresQuery, columns: [String], _ row: (PostgresRawRow) throws -> Void) throws -> Int {
        try ensureOpen()
        return try connection.forEachRow(q, columns: columns, row)
    }

    @discardableResult
    public func copyIn(unsafeSQL sql: String, rows: some Sequence<[UInt8]>) throws -> Int {
        try ensureOpen()
        return try connection.copyIn(unsafeSQL: sql, rows: rows)
    }

    /// A nested scope as a savepoint: when `body` throws, only its work is rolled back and the
    /// error is rethrown; the outer transaction can go on.
    @discardableResult
    public func savepoint<T>(_ body: (Transaction) throws -> T) throws -> T {
        try ensureOpen()
        savepoints += 1
        let name = "sp\(savepoints)"
        try connection.execute(unsafeSQL: "SAVEPOINT \(name)")
        do {
            let result = try body(self)
            try connection.execute(unsafeSQL: "RELEASE SAVEPOINT \(name)")
            return result
        } catch {
            if !connection.isBroken {
                try? connection.execute(unsafeSQL: "ROLLBACK TO SAVEPOINT \(name)")
                try? connection.execute(unsafeSQL: "RELEASE SAVEPOINT \(name)")
            }
            throw error
        }
    }

    private func ensureOpen() throws {
        guard isOpen else { throw PostgresError(.usage, "transaction used outside its scope") }
    }
}
