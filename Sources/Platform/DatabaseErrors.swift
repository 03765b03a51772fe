import Postgres

extension AppError {
    /// Maps a database error to what a client may see. Values from the failing row are never
    /// echoed (they may be personal data); the column or constraint names the field.
    public static func from(_ e: PostgresError) -> AppError {
        switch e.code {
        case .poolTimeout, .poolClosed, .connectionFailed:
            return databaseUnavailable
        case .server where e.isConnectionFailure:
            return databaseUnavailable
        case .commitFailed where e.outcomeUnknown:
            // No Retry-After: repeating a change whose first attempt may have committed is the
            // client's decision, not an automatic one.
            return AppError(.databaseUnavailable, "The database connection was lost while saving; the change may or may not have been applied")
        case .server, .commitFailed:
            break
        case .decoding, .migration, .usage:
            return AppError(.internalError, "An internal error occurred")
        }
        let field = e.column ?? keyColumn(e.detail) ?? constraintField(e.constraint, table: e.table) ?? "request"
        switch e.sqlState ?? "" {
        case "23505":
            return AppError(.conflict, "A record with this \(field) already exists",
                            details: [FieldIssue(field: field, issue: "must be unique")])
        case "23503":
            return AppError(.conflict, "The referenced record does not exist or is still in use",
                            details: [FieldIssue(field: field, issue: "references a missing or dependent record")])
        case "23514":
            return AppError.validation([FieldIssue(field: field, issue: "violates rule \(e.constraint ?? "check")")])
        case "23502":
            return AppError.validation([FieldIssue(field: field, issue: "is required")])
        case "22001", "22003", "22007", "22008", "22P02", "22023":
            return AppError.validation([FieldIssue(field: field, issue: "has an invalid or out-of-range value")])
        case "57014":
            return AppError(.timeoutError, "The database did not answer in time")
        case "40001", "40P01":
            return AppError(.conflict, "A concurrent change conflicted with this request; retry it")
        case "53300", "57P01", "57P02", "57P03":
            return databaseUnavailable
        default:
            return AppError(.internalError, "An internal error occurred")
        }
    }

    static let databaseUnavailable = AppError(.databaseUnavailable, "The database is unavailable; retry shortly",
                                              headers: [("Retry-After", "1")])

    /// "Key (lower(email))=(...) already exists." -> "email"; "Key (a, b)=..." -> "a, b".
    /// An opening parenthesis starts over, so a function's argument (the column) is what remains.
    static func keyColumn(_ detail: String?) -> String? {
        guard let d = detail, let open = d.firstIndex(of: "("), d.hasPrefix("Key ") else { return nil }
        var depth = 0
        var name = ""
        for ch in d[d.index(after: open)...] {
            if ch == "(" {
                depth += 1
                name = ""
                continue
            }
            if ch == ")" {
                if depth == 0 { break }
                depth -= 1
                continue
            }
            name.append(ch)
        }
        return name.isEmpty ? nil : name
    }

    /// "users_email_format" on table users -> "email".
    static func constraintField(_ constraint: String?, table: String?) -> String? {
        guard var c = constraint else { return nil }
        if let t = table, c.hasPrefix(t + "_") { c = String(c.dropFirst(t.count + 1)) }
        for suffix in ["_format", "_valid", "_range", "_length", "_positive", "_non_negative", "_check", "_key", "_fkey", "_present"]
        where c.hasSuffix(suffix) {
            c = String(c.dropLast(suffix.count))
            break
        }
        return c.isEmpty ? nil : c
    }
}
