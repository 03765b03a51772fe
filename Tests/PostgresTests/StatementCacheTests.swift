import Testing
@testable import Postgres
import Foundation

/// Prepared statements after schema changes made by another session, and bind-count checks.
@Suite struct StatementCacheTests {
    @Test func schemaChangeOutsideATransactionIsRecoveredByPreparingAgain() throws {
        let pool = try TestDatabase.pool()
        let other = try TestDatabase.pool()
        let t = TestDatabase.table("stale")
        try other.withConnection { try $0.execute(unsafeSQL: "CREATE TABLE \(t) (a int); INSERT INTO \(t) VALUES (1)") }
        defer { try? other.withConnection { try $0.execute(unsafeSQL: "DROP TABLE \(t)") } }
        let select = PostgresQuery(unsafeSQL: "SELECT * FROM \(t)")
        try pool.withConnection { c in
            #expect(try c.query(select).columns == ["a"])
            try other.withConnection { try $0.execute(unsafeSQL: "ALTER TABLE \(t) ADD COLUMN b int DEFAULT 7") }
            // 0A000 "cached plan must not change result type": prepared again under a new name.
            #expect(try c.query(select).columns == ["a", "b"])
            try other.withConnection { try $0.execute(unsafeSQL: "ALTER TABLE \(t) ADD COLUMN c int") }
            #expect(try c.query(select).columns == ["a", "b", "c"], "a second invalidation recovers too")
        }
    }

    @Test func schemaChangeInsideATransactionFailsOnceThenRecovers() throws {
        let pool = try TestDatabase.pool { $0.poolSize = 1; $0.maxOverflow = 0 }
        let other = try TestDatabase.pool()
        let t = TestDatabase.table("stale_tx")
        try other.withConnection { try $0.execute(unsafeSQL: "CREATE TABLE \(t) (a int); INSERT INTO \(t) VALUES (1)") }
        defer { try? other.withConnection { try $0.execute(unsafeSQL: "DROP TABLE \(t)") } }
        let select = PostgresQuery(unsafeSQL: "SELECT * FROM \(t)")
        try pool.transaction { tx in _ = try tx.query(select) }
        try other.withConnection { try $0.execute(unsafeSQL: "ALTER TABLE \(t) ADD COLUMN b int") }
        // Inside a transaction the failed statement aborted it: no retry is possible there.
        do {
            try pool.transaction { tx in _ = try tx.query(select) }
            Issue.record("a stale plan inside a transaction cannot have succeeded")
        } catch let e as PostgresError {
            #expect(e.sqlState == "0A000")
        }
        // The same connection (pool of one) prepares it afresh next time, without 42P05.
        let columns = try pool.transaction { tx in try tx.query(select).columns }
        #expect(columns == ["a", "b"])
    }

    @Test func bindCountMismatchIsAUsageErrorNotAnOutage() throws {
        let pool = try TestDatabase.pool()
        for (sql, binds) in [("SELECT $1::int + $2::int AS n", [1] as [Int]), ("SELECT $1::int AS n", [1, 2])] {
            do {
                try pool.withConnection { _ = try $0.query(PostgresQuery(unsafeSQL: sql, binds: binds)) }
                Issue.record("mismatch not detected: \(sql)")
            } catch let e as PostgresError {
                #expect(e.code == .usage && !e.isConnectionFailure)
            }
        }
        // Placeholders inside literals, identifiers, comments and dollar quotes do not count.
        let q = PostgresQuery(unsafeSQL: "SELECT '$2' AS \"$3\", $$ $4 $$ AS d, $x$ $5 $x$ AS e /* $6 */, $1::int AS n -- $7\n",
                              binds: [5])
        #expect(q.highestPlaceholder == 1)
        #expect(try pool.withConnection { try $0.query(q).first!.decode("n", as: Int.self) } == 5)
        // A protocol violation reported by the server is not a connection failure either.
        #expect(!PostgresError(.server, "bind message supplies 1 parameters", sqlState: "08P01").isConnectionFailure)
        #expect(PostgresError(.server, "connection failure", sqlState: "08006").isConnectionFailure)
    }
}

/// COMMIT failures are reported as such, not as a failed body.
@Suite struct CommitFailureTests {
    final class Recorder: PoolObserver, @unchecked Sendable {
        var commitFailures: [PostgresError] = []
        var finished: [Bool] = []
        func checkedOut(waitSeconds: Double) {}
        func checkoutTimedOut() {}
        func transactionFinished(committed: Bool) { finished.append(committed) }
        func commitFailed(_ error: PostgresError) { commitFailures.append(error) }
        func transactionRetried() {}
        func connectionDiscarded(reason: String) {}
        func notice(_ message: String) {}
        func queryFinished(seconds: Double) {}
    }

    @Test func deferredConstraintFailsAtCommit() throws {
        let recorder = Recorder()
        let pool = ConnectionPool(configuration: try TestDatabase.configuration(), observer: recorder)
        let t = TestDatabase.table("deferred")
        try pool.withConnection {
            try $0.execute(unsafeSQL: "CREATE TABLE \(t) (k int CONSTRAINT \(t)_k_key UNIQUE DEFERRABLE INITIALLY DEFERRED)")
        }
        defer { try? pool.withConnection { try $0.execute(unsafeSQL: "DROP TABLE \(t)") } }
        do {
            try pool.transaction { tx in
                try tx.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES (1), (1)"))
            }
            Issue.record("duplicate committed")
        } catch let e as PostgresError {
            #expect(e.code == .commitFailed && !e.outcomeUnknown)
            #expect(e.sqlState == "23505" && e.constraint == "\(t)_k_key", "the server's fields survive")
        }
        #expect(recorder.commitFailures.count == 1 && recorder.finished.isEmpty)
        let n = try pool.withConnection { try $0.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int AS n FROM \(t)")).first!.decode("n", as: Int.self) }
        #expect(n == 0)
    }

    @Test func connectionLostBeforeCommitIsAnUnknownOutcome() throws {
        let recorder = Recorder()
        let pool = ConnectionPool(configuration: try TestDatabase.configuration(), observer: recorder)
        let killer = try TestDatabase.pool()
        do {
            try pool.transaction { tx in
                let pid = try tx.query("SELECT pg_backend_pid() AS pid").first!.decode("pid", as: Int.self)
                try killer.withConnection { _ = try $0.query("SELECT pg_terminate_backend(\(pid))") }
                usleep(100_000)
            }
            Issue.record("commit on a terminated session succeeded")
        } catch let e as PostgresError {
            #expect(e.code == .commitFailed && e.outcomeUnknown)
            #expect(e.debugDescription.contains("outcome=unknown"))
        }
        #expect(recorder.commitFailures.count == 1)
    }
}
