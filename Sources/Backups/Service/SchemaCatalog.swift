import Foundation
import Postgres

/// What a backup and a restore need to know about the live schema: every table (partitioned
/// tables as their parent), in an order where each table comes after those it references,
/// the identity columns to reset after a load, and the applied migrations.
enum SchemaCatalog: StatementCatalog {
    static let tablesQuery: PostgresQuery = """
        SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'schema_migrations'
        ORDER BY c.relname
        """

    static let foreignKeys: PostgresQuery = """
        SELECT cl.relname AS child, pl.relname AS parent FROM pg_constraint k
        JOIN pg_class cl ON cl.oid = k.conrelid JOIN pg_class pl ON pl.oid = k.confrelid
        JOIN pg_namespace n ON n.oid = k.connamespace
        WHERE k.contype = 'f' AND n.nspname = current_schema()
        """

    static let identityColumns: PostgresQuery = """
        SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY table_name
        """

    /// Constraints of one kind ('f' foreign, 'p' primary, 'u' unique) as declared (not their
    /// per-partition clones), with their definitions.
    static func constraintDefinitions(kinds: [String]) -> PostgresQuery {
        """
        SELECT k.conname AS name, c.relname AS table_name, pg_get_constraintdef(k.oid) AS definition
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = k.connamespace
        WHERE k.contype = ANY(\(kinds)::"char"[]) AND n.nspname = current_schema() AND k.conparentid = 0 AND NOT c.relispartition
          AND c.relname <> 'schema_migrations'
        ORDER BY 1
        """
    }

    /// Indexes that back no constraint (on tables and partitioned parents), with their definitions.
    static let secondaryIndexes: PostgresQuery = """
        SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = current_schema() AND NOT t.relispartition AND t.relname <> 'schema_migrations'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
        ORDER BY 1
        """

    static let migrations: PostgresQuery = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"

    static let migrationsTableExists: PostgresQuery = "SELECT to_regclass('schema_migrations') IS NOT NULL AS present"

    /// Tables ordered so that every referenced table precedes its referrers (self-references
    /// are fine: one COPY loads the whole table before its checks run).
    static func orderedTables(_ tx: Transaction) throws -> [String] {
        let names = try tx.query(tablesQuery).map { try $0.decode("name", as: String.self) }
        var parents: [String: Set<String>] = [:]
        for row in try tx.query(foreignKeys) {
            let child: String = try row.decode("child"), parent: String = try row.decode("parent")
            if child != parent && names.contains(child) && names.contains(parent) { parents[child, default: []].insert(parent) }
        }
        var ordered: [String] = []
        var placed = Set<String>()
        while ordered.count < names.count {
            let ready = names.filter { !placed.contains($0) && (parents[$0] ?? []).isSubset(of: placed) }
            guard !ready.isEmpty else { throw PostgresError(.usage, "foreign keys form a cycle between tables") }
            for t in ready {
                ordered.append(t)
                placed.insert(t)
            }
        }
        return ordered
    }

    static func identities(_ tx: Transaction) throws -> [(table: String, column: String)] {
        try tx.query(identityColumns).map { (try $0.decode("table_name"), try $0.decode("column_name")) }
    }

    static func appliedMigrations(_ tx: Transaction) throws -> [BackupManifest.Migration] {
        guard try tx.query(migrationsTableExists).first?.decode("present", as: Bool.self) == true else { return [] }
        return try tx.query(migrations).map {
            BackupManifest.Migration(version: try $0.decode("version"), name: try $0.decode("name"), checksum: try $0.decode("checksum"))
        }
    }

    /// An identifier from the catalog, quoted for splicing into SQL.
    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    static var statements: [PostgresQuery] { [tablesQuery, foreignKeys, constraintDefinitions(kinds: ["f"]), secondaryIndexes, identityColumns, migrations, migrationsTableExists] }
}
