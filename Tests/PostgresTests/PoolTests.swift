import Testing
@testable import Postgres
import Foundation

@Suite struct PoolTests {
    @Test func exhaustionTimesOutThenRecovers() throws {
        let pool = try TestDatabase.pool { $0.poolSize = 1; $0.maxOverflow = 0; $0.checkoutTimeoutMs = 200 }
        let held = try pool.checkout()
        let start = Date()
        do {
            try pool.withConnection { _ in }
            Issue.record("checkout succeeded while the only connection was held")
        } catch let e as PostgresError {
            #expect(e.code == .poolTimeout)
            #expect(Date().timeIntervalSince(start) >= 0.19)
        }
        pool.checkin(held)
        #expect(try pool.withConnection { try $0.query("SELECT 1 AS x").count } == 1)
        #expect(pool.statistics == PoolStatistics(open: 1, idle: 1, waiters: 0))
    }

    @Test func waiterGetsAConnectionWhenOneIsReturned() throws {
        let pool = try TestDatabase.pool { $0.poolSize = 1; $0.maxOverflow = 0; $0.checkoutTimeoutMs = 3000 }
        let held = Unchecked(try pool.checkout())
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { pool.checkin(held.value) }
        #expect(try pool.withConnection { try $0.query("SELECT 1 AS x").count } == 1)
    }

    @Test func overflowConnectionsAreClosedOnReturn() throws {
        let pool = try TestDatabase.pool { $0.poolSize = 1; $0.maxOverflow = 2 }
        let a = try pool.checkout(), b = try pool.checkout(), c = try pool.checkout()
        #expect(pool.statistics.open == 3)
        pool.checkin(a); pool.checkin(b); pool.checkin(c)
        #expect(pool.statistics == PoolStatistics(open: 1, idle: 1, waiters: 0))
    }

    @Test func killedBackendIsReplaced() throws {
        let pool = try TestDatabase.pool { $0.poolSize = 1; $0.maxOverflow = 0; $0.validateAfterIdleMs = 0 }
        let pid = try pool.withConnection { Int($0.backendPID) }
        let killer = try PostgresConnection.connect(try TestDatabase.configuration())
        try killer.query("SELECT pg_terminate_backend(\(pid))")
        usleep(100_000)
        // Validation on checkout finds the dead connection and opens a new one.
        let newPID = try pool.withConnection { c -> Int in
            try c.query("SELECT 1")
            return Int(c.backendPID)
        }
        #expect(newPID != pid)
    }

    @Test func brokenConnectionInUseIsDiscardedOnReturn() throws {
        let pool = try TestDatabase.pool { $0.poolSize = 2; $0.validateAfterIdleMs = 60_000 }
        let killer = try PostgresConnection.connect(try TestDatabase.configuration())
        do {
            try pool.withConnection { c in
                try killer.query("SELECT pg_terminate_backend(\(Int(c.backendPID)))")
                usleep(100_000)
                try c.query("SELECT 1")
            }
            Issue.record("query on a killed backend succeeded")
        } catch let e as PostgresError {
            #expect(e.isConnectionFailure)
        }
        #expect(pool.statistics.open == 0, "the broken connection was not returned")
        #expect(try pool.withConnection { try $0.query("SELECT 1 AS x").count } == 1)
    }

    @Test func recycleReplacesOldConnections() throws {
        let pool = try TestDatabase.pool { $0.recycleAfterMs = 50 }
        let first = try pool.withConnection { Int($0.backendPID) }
        usleep(120_000)
        let second = try pool.withConnection { Int($0.backendPID) }
        #expect(first != second)
    }

    @Test func connectionReturnedInsideATransactionIsRolledBack() throws {
        let pool = try TestDatabase.pool { $0.poolSize = 1; $0.maxOverflow = 0 }
        let t = TestDatabase.table("leak")
        try pool.withConnection { try $0.execute(unsafeSQL: "CREATE TABLE \(t) (v int)") }
        defer { try? pool.withConnection { try $0.execute(unsafeSQL: "DROP TABLE \(t)") } }
        try pool.withConnection { c in
            try c.execute(unsafeSQL: "BEGIN")
            try c.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES (1)"))
        }
        let count = try pool.withConnection { c -> Int in
            #expect(c.isIdleOutsideTransaction)
            return try c.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int AS n FROM \(t)")).first!.decode("n", as: Int.self)
        }
        #expect(count == 0)
    }
}

@Suite struct TransactionTests {
    func withTable(_ body: (ConnectionPool, String) throws -> Void) throws {
        let pool = try TestDatabase.pool()
        let t = TestDatabase.table("tx")
        try pool.withConnection { try $0.execute(unsafeSQL: "CREATE TABLE \(t) (v int PRIMARY KEY)") }
        defer { try? pool.withConnection { try $0.execute(unsafeSQL: "DROP TABLE \(t)") } }
        try body(pool, t)
    }

    func count(_ pool: ConnectionPool, _ t: String) throws -> Int {
        try pool.withConnection { try $0.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int AS n FROM \(t)")).first!.decode("n", as: Int.self) }
    }

    struct Boom: Error {}

    @Test func commitAndRollback() throws {
        try withTable { pool, t in
            try pool.transaction { tx in
                try tx.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES ($1)", binds: [1]))
                try tx.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES ($1)", binds: [2]))
            }
            #expect(try count(pool, t) == 2)
            #expect(throws: Boom.self) {
                try pool.transaction { tx in
                    try tx.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES ($1)", binds: [3]))
                    throw Boom()
                }
            }
            #expect(try count(pool, t) == 2, "a thrown error leaves no rows")
        }
    }

    @Test func failedSavepointRollsBackOnlyItsPart() throws {
        try withTable { pool, t in
            try pool.transaction { tx in
                try tx.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES (1)"))
                do {
                    try tx.savepoint { inner in
                        try inner.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES (2)"))
                        try inner.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES (1)")) // duplicate key
                    }
                    Issue.record("savepoint body did not fail")
                } catch let e as PostgresError {
                    #expect(e.sqlState == "23505")
                }
                try tx.savepoint { try $0.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES (3)")) }
            }
            let values = try pool.withConnection { c in
                try c.query(PostgresQuery(unsafeSQL: "SELECT v FROM \(t) ORDER BY v")).map { try $0.decode("v", as: Int.self) }
            }
            #expect(values == [1, 3])
        }
    }

    @Test func swallowedFailureCannotCommit() throws {
        try withTable { pool, t in
            #expect(throws: PostgresError.self) {
                try pool.transaction { tx in
                    try tx.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES (1)"))
                    _ = try? tx.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES (1)"))
                }
            }
            let n = try count(pool, t)
            #expect(n == 0)
        }
    }

    @Test func transactionCannotEscapeItsScope() throws {
        let pool = try TestDatabase.pool()
        let escaped = try pool.transaction { $0 }
        #expect(throws: PostgresError.self) { try escaped.query("SELECT 1") }
    }

    @Test func serializationFailuresAreRetriedAndBounded() throws {
        let pool = try TestDatabase.pool()
        var attempts = 0
        do {
            try pool.transaction(isolation: .serializable, retryable: true, maxAttempts: 3) { tx in
                attempts += 1
                try tx.connection.execute(unsafeSQL: "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$")
            }
            Issue.record("no error after retries")
        } catch let e as PostgresError {
            #expect(e.sqlState == "40001")
        }
        #expect(attempts == 3, "retried up to the bound, no further")

        var second = 0
        let value = try pool.transaction(retryable: true) { tx -> Int in
            second += 1
            if second == 1 {
                try tx.connection.execute(unsafeSQL: "DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = 'deadlock_detected'; END $$")
            }
            return second
        }
        #expect(value == 2, "succeeds on the second attempt")

        var notRetryable = 0
        #expect(throws: PostgresError.self) {
            try pool.transaction { tx in
                notRetryable += 1
                try tx.connection.execute(unsafeSQL: "DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = 'serialization_failure'; END $$")
            }
        }
        #expect(notRetryable == 1, "only bodies marked retryable are re-run")
    }

    @Test func realSerializationConflictIsResolvedByRetry() throws {
        try withTable { pool, t in
            try pool.withConnection { try $0.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES (0)")) }
            let group = DispatchGroup()
            let errors = ErrorBox()
            for _ in 0..<4 {
                DispatchQueue.global().async(group: group) {
                    do {
                        try pool.transaction(isolation: .serializable, retryable: true, maxAttempts: 20) { tx in
                            let current = try tx.query(PostgresQuery(unsafeSQL: "SELECT max(v) AS m FROM \(t)")).first!.decode("m", as: Int.self)
                            usleep(20_000)
                            try tx.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES ($1)", binds: [current + 1]))
                        }
                    } catch { errors.add(error) }
                }
            }
            group.wait()
            #expect(errors.all.isEmpty, "\(errors.all)")
            let values = try pool.withConnection { c in
                try c.query(PostgresQuery(unsafeSQL: "SELECT v FROM \(t) ORDER BY v")).map { try $0.decode("v", as: Int.self) }
            }
            #expect(values == [0, 1, 2, 3, 4], "every increment applied exactly once")
        }
    }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []
    func add(_ e: any Error) { lock.lock(); errors.append(e); lock.unlock() }
    var all: [any Error] { lock.lock(); defer { lock.unlock() }; return errors }
}

struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
