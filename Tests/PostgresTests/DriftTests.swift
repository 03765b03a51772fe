import Testing
@testable import Postgres

/// Every statement the code runs must PREPARE against the migrated schema.
@Suite struct DriftTests {
    /// Repositories add themselves here as they are written.
    static var catalogs: [any StatementCatalog.Type] { [Migrator.self] }

    @Test func everyStatementPreparesAgainstTheMigratedSchema() throws {
        let db = try SchemaTests.migrated.get()
        try db.pool().withConnection { c in
            for catalog in Self.catalogs {
                for statement in catalog.statements {
                    #expect(throws: Never.self, "\(catalog): \(statement.sql)") { try c.checkPreparable(statement) }
                }
            }
            // And the check does catch drift.
            #expect(throws: PostgresError.self) { try c.checkPreparable("SELECT no_such_column FROM schema_migrations") }
            #expect(throws: PostgresError.self) { try c.checkPreparable("INSERT INTO prices (asset_id, day) VALUES (\(1), \("2026-01-01"))") }
        }
    }
}
