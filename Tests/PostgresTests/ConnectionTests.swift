import Testing
@testable import Postgres
import Foundation

@Suite struct ConnectionTests {
    @Test func typedRoundTrip() throws {
        let pool = try TestDatabase.pool()
        let id = UUID()
        let when = Date(timeIntervalSince1970: 1_763_000_000.123456)
        let money = Decimal(string: "12345678901234567890.123456789")!
        let row = try pool.withConnection { c in
            try c.query("""
                SELECT \(42)::int2 AS a, \(2_000_000_000)::int4 AS b, \(9_000_000_000_000)::int8 AS c, \(1.5)::float8 AS d,
                       \(money)::numeric AS e, \("héllo \"q\" 'x'")::text AS f, \(true)::bool AS g,
                       \(PostgresDate(year: 2024, month: 2, day: 29))::date AS h, \(when)::timestamptz AS i, \(id)::uuid AS j,
                       \(PostgresJSON("{\"k\": [1, 2]}"))::jsonb AS k, \(PostgresBytes([0, 1, 0xFE, 0xFF]))::bytea AS l,
                       \([1, 2, 3])::int4[] AS m, \(["a b", "c\"d", "e,f"])::text[] AS n, NULL::text AS o
                """).first!
        }
        #expect(try row.decode("a", as: Int.self) == 42)
        #expect(try row.decode("b", as: Int.self) == 2_000_000_000)
        #expect(try row.decode("c", as: Int.self) == 9_000_000_000_000)
        #expect(try row.decode("d", as: Double.self) == 1.5)
        #expect(try row.decode("e", as: Decimal.self) == money, "numeric is exact")
        #expect(try row.decode("f", as: String.self) == "héllo \"q\" 'x'")
        #expect(try row.decode("g", as: Bool.self))
        #expect(try row.decode("h", as: PostgresDate.self) == PostgresDate(year: 2024, month: 2, day: 29))
        #expect(abs(try row.decode("i", as: Date.self).timeIntervalSince(when)) < 0.000_002)
        #expect(try row.decode("j", as: UUID.self) == id)
        #expect(try row.decode("k", as: PostgresJSON.self).text == "{\"k\": [1, 2]}")
        #expect(try row.decode("l", as: PostgresBytes.self).bytes == [0, 1, 0xFE, 0xFF])
        #expect(try row.decode("m", as: [Int].self) == [1, 2, 3])
        #expect(try row.decode("n", as: [String].self) == ["a b", "c\"d", "e,f"])
        #expect(try row.decode("o", as: String?.self) == nil)
        #expect(throws: PostgresError.self) { try row.decode("o", as: String.self) }
        #expect(throws: PostgresError.self) { try row.decode("f", as: Int.self) }
        #expect(throws: PostgresError.self) { try row.decode("nope", as: Int.self) }
    }

    /// Rows read in place: values by position as the result holds them, NULL told from "",
    /// integers parsed strictly, and a result whose columns are not the expected ones refused
    /// before any row is handed over.
    @Test func rowsReadInPlace() throws {
        let pool = try TestDatabase.pool()
        var seen: [(Int64?, String?, Bool, Int)] = []
        let n = try pool.withConnection { c in
            try c.forEachRow("""
                SELECT * FROM (VALUES (\(Int64.min)::int8, \("héllo\t\\")::text), (-42, ''), (9223372036854775807, NULL), (NULL, 'x')) AS t (a, b)
                """, columns: ["a", "b"]) { r in
                seen.append((r.int(0), r.string(1), r.isNull(1), r.bytes(1).count))
            }
        }
        #expect(n == 4)
        #expect(seen.map(\.0) == [Int64.min, -42, Int64.max, nil])
        #expect(seen.map(\.1) == ["héllo\t\\", "", nil, "x"])
        #expect(seen.map(\.2) == [false, false, true, false])
        #expect(seen.map(\.3) == [8, 0, 0, 1])
        var called = false
        #expect(throws: PostgresError.self) {
            try pool.withConnection { c in try c.forEachRow("SELECT 1 AS b, 2 AS a", columns: ["a", "b"]) { _ in called = true } }
        }
        #expect(!called)
        let text = try pool.withConnection { c in
            var out: [Int64?] = []
            try c.forEachRow("SELECT * FROM (VALUES ('12a'), ('99999999999999999999'), ('9999999999999999999'), ('9223372036854775808'), ('-'), ('')) AS t (a)", columns: ["a"]) { out.append($0.int(0)) }
            return out
        }
        #expect(text == [nil, nil, nil, nil, nil, nil], "text that is not an int8 is nil, never a wrapped number")
    }

    /// COPY TO STDOUT rows: binds written in as quoted literals (a hostile one stays a value),
    /// escapes undone, NULL told apart, rows in order.
    @Test func copyOutRowsReadValuesAsTheyAre() throws {
        let pool = try TestDatabase.pool()
        let hostile = "x'); DROP TABLE schema_migrations; --"
        let tricky = "tab\there\nnew line \\ back\\slash \u{7} héllo"
        var seen: [(String?, String?, String)] = []
        let n = try pool.withConnection { c in
            try c.copyOutRows("""
                SELECT * FROM (VALUES (1, \(hostile)::text, \(tricky)::text), (2, NULL, '$1 stays'), (3, '', 'x')) AS t (k, a, b) ORDER BY k
                """, columns: 3) { r in
                seen.append((r.isNull(1) ? nil : r.withValue(1) { String(decoding: $0, as: UTF8.self) },
                             r.withValue(2) { String(decoding: $0, as: UTF8.self) }, String(decoding: r.raw(0), as: UTF8.self)))
            }
        }
        #expect(n == 3)
        #expect(seen.map(\.0) == [hostile, nil, ""])
        #expect(seen.map(\.1) == [tricky, "$1 stays", "x"], "a $n inside the query's own quotes is left alone")
        #expect(seen.map(\.2) == ["1", "2", "3"])
        #expect(throws: PostgresError.self) {
            try pool.withConnection { c in try c.copyOutRows("SELECT 1, 2", columns: 3) { _ in } }
        }
    }

    @Test func valuesNeverBecomeSQL() throws {
        let pool = try TestDatabase.pool()
        let t = TestDatabase.table("inj")
        try pool.withConnection { c in
            try c.execute(unsafeSQL: "CREATE TABLE \(t) (name text)")
            defer { try? c.execute(unsafeSQL: "DROP TABLE \(t)") }
            let evil = "x'); DROP TABLE \(t); --"
            try c.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) (name) VALUES ($1)", binds: [evil]))
            let rows = try c.query(PostgresQuery(unsafeSQL: "SELECT name FROM \(t)"))
            #expect(rows.count == 1)
            #expect(try rows.first!.decode("name", as: String.self) == evil)
        }
        let q: PostgresQuery = "SELECT * FROM x WHERE a = \("secret-value") AND b = \(7)"
        #expect(q.sql == "SELECT * FROM x WHERE a = $1 AND b = $2")
        #expect(!q.description.contains("secret-value"), "bind values never printed")
    }

    @Test func serverErrorsKeepSQLStateAndConstraint() throws {
        let pool = try TestDatabase.pool()
        let t = TestDatabase.table("err")
        try pool.withConnection { c in
            try c.execute(unsafeSQL: "CREATE TABLE \(t) (email text CONSTRAINT \(t)_email_key UNIQUE, qty int CONSTRAINT \(t)_qty_check CHECK (qty > 0))")
            defer { try? c.execute(unsafeSQL: "DROP TABLE \(t)") }
            try c.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES ($1, $2)", binds: ["a@x", 1]))
            do {
                try c.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES ($1, $2)", binds: ["a@x", 1]))
                Issue.record("duplicate accepted")
            } catch let e as PostgresError {
                #expect(e.sqlState == "23505" && e.constraint == "\(t)_email_key" && e.code == .server)
                #expect(e.detail?.contains("(email)") == true)
                #expect(!e.description.contains("a@x"), "description stays generic")
            }
            do {
                try c.query(PostgresQuery(unsafeSQL: "INSERT INTO \(t) VALUES ($1, $2)", binds: ["b@x", 0]))
                Issue.record("check violation accepted")
            } catch let e as PostgresError {
                #expect(e.sqlState == "23514" && e.constraint == "\(t)_qty_check")
            }
        }
    }

    @Test func statementTimeoutIsReported() throws {
        let pool = try TestDatabase.pool { $0.statementTimeoutMs = 200 }
        do {
            try pool.withConnection { try $0.query("SELECT pg_sleep(2)") }
            Issue.record("no timeout")
        } catch let e as PostgresError {
            #expect(e.isTimeout)
        }
        #expect(try pool.withConnection { try $0.query("SELECT 1 AS one").first!.decode("one", as: Int.self) } == 1)
    }

    @Test func copyInBulkLoads() throws {
        let pool = try TestDatabase.pool()
        let t = TestDatabase.table("copy")
        try pool.withConnection { c in
            try c.execute(unsafeSQL: "CREATE TABLE \(t) (id int, note text)")
            defer { try? c.execute(unsafeSQL: "DROP TABLE \(t)") }
            let rows = (0..<10_000).lazy.map { PostgresCopy.line([String($0), $0 % 100 == 0 ? nil : "tab\there\nnew \\ line \($0)"]) }
            #expect(try c.copyIn(unsafeSQL: "COPY \(t) (id, note) FROM STDIN", rows: rows) == 10_000)
            let r = try c.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int AS n, count(note)::int AS notes, max(note) AS m FROM \(t)")).first!
            #expect(try r.decode("n", as: Int.self) == 10_000)
            #expect(try r.decode("notes", as: Int.self) == 9_900)
            #expect(try r.decode("m", as: String.self).hasPrefix("tab\there\nnew \\ line"))
        }
    }

    @Test func connectFailureIsConnectionFailed() throws {
        var config = try TestDatabase.configuration()
        config.url = "postgresql://postgres@127.0.0.1:1/none"
        config.connectTimeoutSeconds = 2
        do {
            _ = try PostgresConnection.connect(config)
            Issue.record("connected to nothing")
        } catch let e as PostgresError {
            #expect(e.code == .connectionFailed && e.isConnectionFailure)
        }
        #expect(PostgresConfiguration(url: "postgresql://u:hunter2@h/db").redactedURL == "postgresql://u:****@h/db")
    }
}
