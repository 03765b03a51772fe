import Foundation
import Platform
import Postgres

enum AuditRepository: StatementCatalog {
    /// Failed logins for an account (by normalised email) and from an address since `since`,
    /// and the oldest of each in the window (for Retry-After).
    static func recentFailures(email: String, ip: String?, since: Date) -> PostgresQuery {
        """
        SELECT (SELECT count(*) FROM audit_logs WHERE resource_type = 'login' AND resource_id = \(email)
                  AND action IN ('auth.login_failed', 'auth.password_change_failed') AND occurred_at > \(since)) AS by_account,
               (SELECT min(occurred_at) FROM audit_logs WHERE resource_type = 'login' AND resource_id = \(email)
                  AND action IN ('auth.login_failed', 'auth.password_change_failed') AND occurred_at > \(since)) AS oldest_by_account,
               (SELECT count(*) FROM audit_logs WHERE action IN ('auth.login_failed', 'auth.password_change_failed') AND ip = \(ip)::inet AND occurred_at > \(since)) AS by_address,
               (SELECT min(occurred_at) FROM audit_logs WHERE action IN ('auth.login_failed', 'auth.password_change_failed') AND ip = \(ip)::inet AND occurred_at > \(since)) AS oldest_by_address
        """
    }

    struct Filter {
        var userID: UUID?
        var action: String?
        var resourceType: String?
        var from: Date?
        var to: Date?
        var before: Int64?
        var limit: Int
    }

    /// Newest first, keyset on id (ids grow with insertion).
    static func page(_ f: Filter) -> PostgresQuery {
        """
        SELECT id, occurred_at, user_id, action, resource_type, resource_id, request_id, host(ip) AS ip, user_agent,
               old_values::text AS old_values, new_values::text AS new_values
        FROM audit_logs
        WHERE (\(f.userID)::uuid IS NULL OR user_id = \(f.userID)::uuid) AND (\(f.action)::text IS NULL OR action = \(f.action)::text)
          AND (\(f.resourceType)::text IS NULL OR resource_type = \(f.resourceType)::text)
          AND (\(f.from)::timestamptz IS NULL OR occurred_at >= \(f.from)::timestamptz)
          AND (\(f.to)::timestamptz IS NULL OR occurred_at <= \(f.to)::timestamptz)
          AND (\(f.before)::bigint IS NULL OR id < \(f.before)::bigint)
        ORDER BY id DESC LIMIT \(f.limit)
        """
    }

    static var statements: [PostgresQuery] {
        [recentFailures(email: "a@b.c", ip: "127.0.0.1", since: Date()),
         page(Filter(userID: UUID(), action: "a", resourceType: "r", from: Date(), to: Date(), before: 1, limit: 1))]
    }
}
