import Testing
@testable import Postgres
import Foundation

/// A database of its own for a test, dropped afterwards.
final class ScratchDatabase: @unchecked Sendable {
    let name: String
    let url: String
    private let admin: PostgresConnection

    init() throws {
        let base = try TestDatabase.configuration()
        admin = try PostgresConnection.connect(base)
        name = "scratch_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try admin.execute(unsafeSQL: "CREATE DATABASE \(name)")
        url = String(base.url[..<base.url.lastIndex(of: "/")!]) + "/" + name
    }

    func pool(_ change: (inout PostgresConfiguration) -> Void = { _ in }) -> ConnectionPool {
        var c = PostgresConfiguration(url: url)
        change(&c)
        return ConnectionPool(configuration: c)
    }

    deinit { try? admin.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
}

@Suite struct MigratorTests {
    func directory(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "migrations-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, sql) in files { try sql.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    let first = "CREATE TABLE widgets (id int PRIMARY KEY);"
    let second = "ALTER TABLE widgets ADD COLUMN name text NOT NULL DEFAULT 'x';"

    @Test func appliesInOrderOnceAndRecordsChecksums() throws {
        let db = try ScratchDatabase()
        let pool = db.pool()
        let dir = try directory(["0002_add_name.sql": second, "0001_widgets.sql": first, "README.txt": "ignored"])
        let migrator = Migrator(pool: pool, migrations: try Migration.load(directory: dir))
        #expect(try migrator.status().map(\.state) == [.pending, .pending])
        #expect(try migrator.migrate().map(\.version) == [1, 2])
        #expect(try migrator.migrate().isEmpty, "idempotent")
        #expect(try migrator.isCurrent())
        let rows = try pool.withConnection { try $0.query("SELECT version, checksum, duration_ms FROM schema_migrations ORDER BY version") }
        #expect(try rows.map { try $0.decode("version", as: Int.self) } == [1, 2])
        #expect(try rows.first!.decode("checksum", as: String.self) == Migration(version: 1, name: "widgets", sql: first).checksum)
    }

    @Test func refusesEditedOrMissingMigrations() throws {
        let db = try ScratchDatabase()
        let pool = db.pool()
        let dir = try directory(["0001_widgets.sql": first, "0002_add_name.sql": second])
        try Migrator(pool: pool, migrations: try Migration.load(directory: dir)).migrate()

        try (first + "\n-- sneaky edit").write(toFile: dir + "/0001_widgets.sql", atomically: true, encoding: .utf8)
        let edited = Migrator(pool: pool, migrations: try Migration.load(directory: dir))
        #expect(try edited.status().first?.state == .edited)
        #expect(try !edited.isCurrent())
        do {
            try edited.migrate()
            Issue.record("edited migration accepted")
        } catch let e as PostgresError {
            #expect(e.code == .migration && e.message.contains("edited"))
        }

        try first.write(toFile: dir + "/0001_widgets.sql", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: dir + "/0002_add_name.sql")
        let missing = Migrator(pool: pool, migrations: try Migration.load(directory: dir))
        #expect(throws: PostgresError.self) { try missing.migrate() }
    }

    @Test func failedMigrationLeavesNothingBehind() throws {
        let db = try ScratchDatabase()
        let pool = db.pool()
        let dir = try directory(["0001_widgets.sql": first, "0002_broken.sql": "CREATE TABLE gadgets (id int); SELECT * FROM no_such_table;"])
        let migrator = Migrator(pool: pool, migrations: try Migration.load(directory: dir))
        #expect(throws: PostgresError.self) { try migrator.migrate() }
        let state = try pool.withConnection { c in
            (try c.query("SELECT to_regclass('gadgets') IS NULL AS gone").first!.decode("gone", as: Bool.self),
             try c.query("SELECT count(*)::int AS n FROM schema_migrations").first!.decode("n", as: Int.self))
        }
        #expect(state.0, "the failed migration's table was rolled back")
        #expect(state.1 == 1, "only the good migration is recorded")
    }

    @Test func badFileNamesAndDuplicateVersionsAreRejected() throws {
        #expect(throws: PostgresError.self) { try Migration.load(directory: try directory(["1_short.sql": first])) }
        #expect(throws: PostgresError.self) { try Migration.load(directory: try directory(["0001_a.sql": first, "0001_b.sql": second])) }
        #expect(throws: PostgresError.self) { try Migration.load(directory: "/nonexistent/migrations") }
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() throws {
        let db = try ScratchDatabase()
        let dir = try directory(["0001_widgets.sql": first + " SELECT pg_sleep(0.2);", "0002_add_name.sql": second])
        let migrations = try Migration.load(directory: dir)
        let group = DispatchGroup()
        let applied = ErrorBox()
        let counts = CountBox()
        for _ in 0..<4 {
            DispatchQueue.global().async(group: group) {
                do { counts.add(try Migrator(pool: db.pool(), migrations: migrations).migrate().count) } catch { applied.add(error) }
            }
        }
        group.wait()
        #expect(applied.all.isEmpty, "\(applied.all)")
        #expect(counts.total == 2, "two migrations applied in total across four migrators")
    }
}

final class CountBox: @unchecked Sendable {
    private let lock = NSLock()
    private var sum = 0
    func add(_ n: Int) { lock.lock(); sum += n; lock.unlock() }
    var total: Int { lock.lock(); defer { lock.unlock() }; return sum }
}
