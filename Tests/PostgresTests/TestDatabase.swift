import Testing
@testable import Postgres
import Foundation

/// The database the test script started (DATABASE_URL). Each test works in tables of its own.
enum TestDatabase {
    static var url: String? { ProcessInfo.processInfo.environment["DATABASE_URL"] }

    static func configuration(_ change: (inout PostgresConfiguration) -> Void = { _ in }) throws -> PostgresConfiguration {
        guard let url else { throw TestSkip("DATABASE_URL is not set: run scripts/test, which starts PostgreSQL") }
        var c = PostgresConfiguration(url: url)
        change(&c)
        return c
    }

    static func pool(_ change: (inout PostgresConfiguration) -> Void = { _ in }) throws -> ConnectionPool {
        ConnectionPool(configuration: try configuration(change))
    }

    /// A unique table name for one test.
    static func table(_ prefix: String) -> String { "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())" }
}

struct TestSkip: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
