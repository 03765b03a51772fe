import Foundation
import Postgres

/// What a command says when the database fails it.
enum CLIErrors {
    static func explain(_ e: PostgresError, databaseURL: String?) -> String {
        let target = databaseURL.map(redacted) ?? "DATABASE_URL (unset)"
        // libpq's messages run over lines ("...failed: Connection refused\n\tIs the server running...?").
        let said = e.message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        switch e.code {
        case .connectionFailed:
            return "cannot reach PostgreSQL at \(target): \(said) Start it (on the embedded default scripts/run does, or "
                + "scripts/pg start .data/pg 54329), or set DATABASE_URL to the database to use"
        case .poolTimeout:
            return "PostgreSQL at \(target) gave no connection in time: \(said)"
        case .migration:
            return "the database at \(target) cannot be migrated: \(said)"
        default:
            return "the database at \(target) refused the command: \(said)\(e.sqlState.map { " (SQLSTATE \($0))" } ?? "")"
                + (e.hint.map { "; \($0)" } ?? "")
        }
    }

    /// The URL without its password.
    static func redacted(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return url }
        let userInfo = url[scheme.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":****" + String(url[at...])
    }
}
