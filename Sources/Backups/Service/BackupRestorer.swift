import Foundation
import Postgres

/// Restores a backup into a database: verifies the whole file first, checks the schema
/// versions, then loads every table in ONE transaction (tables in dependency order, identity
/// sequences set after the load). A non-empty target is refused unless `replace`.
enum BackupRestorer {
    struct Options {
        var replace = false
        /// Apply the binary's newer migrations after loading an older backup.
        var migrate = false
    }

    struct Outcome {
        var manifest: BackupManifest
        var migratedTo: Int?
    }

    static func restore(path: String, key: [UInt8], pool: ConnectionPool, migrations: [Migration], options: Options,
                        log: (String) -> Void = { _ in }) throws -> Outcome {
        log("verifying \(path)")
        // Every chunk authenticated before anything is touched; the manifest beside the file is
        // only a hint, the one inside (read again while loading) is the authority.
        let manifest: BackupManifest
        if let data = FileManager.default.contents(atPath: BackupNames.manifestPath(path)),
           let beside = try? JSONDecoder().decode(BackupManifest.self, from: data) {
            try BackupReader.authenticate(path: path, key: key)
            manifest = beside
        } else {
            manifest = try BackupReader.verify(path: path, key: key)
        }
        let known = Dictionary(migrations.map { ($0.version, $0) }, uniquingKeysWith: { a, _ in a })
        for m in manifest.migrations {
            guard let mine = known[m.version], mine.checksum == m.checksum else {
                throw BackupReader.Failure("the backup's migration \(m.version) (\(m.name)) is unknown to this binary or differs from its file")
            }
        }
        let latest = migrations.map(\.version).max() ?? 0
        let applied = try pool.transaction { tx in try SchemaCatalog.appliedMigrations(tx) }
        var targetVersion = applied.last?.version ?? 0
        if targetVersion == 0 {
            // A fresh database: its schema is created at the backup's version.
            guard manifest.schemaVersion == latest || options.migrate else {
                throw BackupReader.Failure("the backup is at schema version \(manifest.schemaVersion), this binary at \(latest): pass --migrate to restore it and migrate")
            }
            log("creating the schema at version \(manifest.schemaVersion)")
            _ = try Migrator(pool: pool, migrations: migrations.filter { $0.version <= manifest.schemaVersion }).migrate()
            targetVersion = manifest.schemaVersion
        }
        guard targetVersion == manifest.schemaVersion else {
            throw BackupReader.Failure("the backup is at schema version \(manifest.schemaVersion) but the target database at \(targetVersion); restore into an empty database (with --migrate to bring it up to date)")
        }
        try pool.transaction { tx in
            let tables = try SchemaCatalog.orderedTables(tx)
            guard Set(tables) == Set(manifest.tables.map(\.name)) else {
                throw BackupReader.Failure("the target's tables differ from the backup's")
            }
            if !options.replace {
                for t in tables {
                    // Rows created by migrations themselves (the default strategy, version 1) do not count.
                    let filter = t == "strategy_configs" ? " WHERE version > 1" : ""
                    let has = try tx.query(PostgresQuery(unsafeSQL: "SELECT EXISTS (SELECT 1 FROM \(SchemaCatalog.quoted(t))\(filter)) AS has")).first?
                        .decode("has", as: Bool.self) ?? false
                    if has { throw BackupReader.Failure("the target database is not empty (table \(t) has rows): pass --replace to overwrite it") }
                }
            }
            log("loading \(tables.count) tables in one transaction")
            // The audit trail refuses TRUNCATE by trigger; a restore replaces it whole, inside this transaction.
            try tx.query("ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_no_truncate")
            try tx.query(PostgresQuery(unsafeSQL: "TRUNCATE " + tables.map(SchemaCatalog.quoted).joined(separator: ", ") + " CASCADE"))
            try tx.query("ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_no_truncate")
            // As pg_restore does: load without foreign keys and secondary indexes, then build them
            // once (an index built from sorted data and one validation query per key are far
            // cheaper than a row-by-row check). All inside this transaction.
            func constraints(_ kinds: [String]) throws -> [(name: String, table: String, definition: String)] {
                try tx.query(SchemaCatalog.constraintDefinitions(kinds: kinds)).map {
                    (try $0.decode("name", as: String.self), try $0.decode("table_name", as: String.self), try $0.decode("definition", as: String.self))
                }
            }
            let keys = try constraints(["f"]), uniques = try constraints(["p", "u"])
            let indexes = try tx.query(SchemaCatalog.secondaryIndexes).map { (name: try $0.decode("name", as: String.self), definition: try $0.decode("definition", as: String.self)) }
            for k in keys + uniques { try tx.query(PostgresQuery(unsafeSQL: "ALTER TABLE \(SchemaCatalog.quoted(k.table)) DROP CONSTRAINT \(SchemaCatalog.quoted(k.name))")) }
            for i in indexes { try tx.query(PostgresQuery(unsafeSQL: "DROP INDEX \(SchemaCatalog.quoted(i.name))")) }
            // Statement-level reference checks (migration 0005) would run per table in load
            // order; they run once over everything after the load instead.
            try tx.query("SET LOCAL apiserver.skip_integrity = on")
            // One thread decrypts, decompresses and checks; this one loads with COPY.
            let queue = Pipeline<LoadEvent>(capacity: 32)
            let reading = try Pipeline<LoadEvent>.background {
                do {
                    var forward = ForwardingSink(queue: queue)
                    let inside = try BackupReader.read(path: path, key: key, sink: &forward)
                    guard inside.schemaVersion == manifest.schemaVersion, inside.tables == manifest.tables.map({ t in
                        var c = t
                        c.bytes = inside.tables.first { $0.name == t.name }?.bytes ?? t.bytes
                        return c
                    }) else { throw BackupReader.Failure("the manifest beside the file does not match the one inside it") }
                    queue.close()
                } catch {
                    queue.fail(error)
                    throw error
                }
            }
            var loader = LoadingSink(tx: tx)
            do {
                while let event = try queue.take() {
                    switch event {
                    case .begin(let t): try loader.begin(table: t)
                    case .data(let d): try loader.data(d)
                    case .end(let t, let rows): try loader.end(table: t, rows: rows)
                    }
                }
                try reading()
            } catch {
                loader.writer?.abort()
                queue.fail(error)
                try? reading()
                throw error
            }
            log("building \(uniques.count + indexes.count) indexes and checking \(keys.count) foreign keys")
            for u in uniques { try tx.query(PostgresQuery(unsafeSQL: "ALTER TABLE \(SchemaCatalog.quoted(u.table)) ADD CONSTRAINT \(SchemaCatalog.quoted(u.name)) \(u.definition)")) }
            for i in indexes { try tx.query(PostgresQuery(unsafeSQL: i.definition)) }
            for k in keys { try tx.query(PostgresQuery(unsafeSQL: "ALTER TABLE \(SchemaCatalog.quoted(k.table)) ADD CONSTRAINT \(SchemaCatalog.quoted(k.name)) \(k.definition)")) }
            try tx.query("SET LOCAL apiserver.skip_integrity = off")
            if try tx.query("SELECT to_regproc('integrity_check_all') IS NOT NULL AS present").first?.decode("present", as: Bool.self) == true {
                try tx.query("SELECT integrity_check_all()")
            }
            for (table, column) in try SchemaCatalog.identities(tx) {
                let t = SchemaCatalog.quoted(table), c = SchemaCatalog.quoted(column)
                try tx.query(PostgresQuery(unsafeSQL: """
                    SELECT setval(pg_get_serial_sequence('\(t)', '\(column)'), coalesce((SELECT max(\(c)) FROM \(t)), 0) + 1, false)
                    """))
            }
            // The backup that took this snapshot was running then; here it never finishes.
            try tx.query("UPDATE backups SET status = 'failed', finished_at = now(), error = 'still running when this copy was taken (restored)' WHERE status = 'running'")
            try tx.query("SELECT pg_notify('markets_refresh', '{\"restored\":true}')")
        }
        var migratedTo: Int?
        if options.migrate && manifest.schemaVersion < latest {
            log("migrating from \(manifest.schemaVersion) to \(latest)")
            _ = try Migrator(pool: pool, migrations: migrations).migrate()
            migratedTo = latest
        }
        return Outcome(manifest: manifest, migratedTo: migratedTo)
    }

    enum LoadEvent {
        case begin(String)
        case data([UInt8])
        case end(String, Int)
    }

    /// Hands the reader's events to the loading thread.
    struct ForwardingSink: BackupReader.Sink {
        let queue: Pipeline<LoadEvent>
        mutating func begin(table: String) throws { try queue.put(.begin(table)) }
        mutating func data(_ bytes: [UInt8]) throws { try queue.put(.data(bytes)) }
        mutating func end(table: String, rows: Int) throws { try queue.put(.end(table, rows)) }
    }

    /// Loads each table of the file with COPY as it streams by.
    struct LoadingSink: BackupReader.Sink {
        let tx: Transaction
        var writer: CopyInWriter?

        init(tx: Transaction) { self.tx = tx }

        mutating func begin(table: String) throws {
            writer = try tx.beginCopyIn(unsafeSQL: "COPY \(SchemaCatalog.quoted(table)) FROM STDIN")
        }

        mutating func data(_ bytes: [UInt8]) throws { try writer?.write(bytes) }

        mutating func end(table: String, rows: Int) throws {
            guard let w = writer else { return }
            writer = nil
            let loaded = try w.end()
            guard loaded == rows else { throw BackupReader.Failure("table \(table): \(loaded) rows loaded, \(rows) in the backup") }
        }
    }
}
