import SystemSupport
import CLibPQ

/// The statements a type runs, built by the same functions its code calls, so a test can
/// PREPARE every one against the migrated schema: a column renamed by a migration then fails a
/// test instead of a request. Every repository conforms and is listed in the drift test.
public protocol StatementCatalog {
    static var statements: [PostgresQuery] { get }
    /// Statements a session runs before the catalog's statements can be prepared (temporary
    /// staging tables); the drift test runs them first.
    static var sessionSetup: [String] { get }
}

extension StatementCatalog {
    public static var sessionSetup: [String] { [] }
}

extension PostgresConnection {
    /// Parses and plans `q` on the server without running it (an unnamed prepared statement).
    public func checkPreparable(_ q: PostgresQuery) throws {
        let result = PQprepare(handle, "", q.sql, Int32(q.binds.count), nil)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COMMAND_OK else {
            var e = PostgresError(.server, String(cString: PQresultErrorMessage(result)).trimmingWhitespace())
            e.query = q.sql
            throw e
        }
    }
}
