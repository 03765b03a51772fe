import Foundation
import Postgres

/// Refresh tokens (stored only as SHA-256 hex), grouped in families: one family is one login
/// session, rotated on every refresh.
enum SessionRepository: StatementCatalog {
    struct Token {
        var id: UUID
        var userID: UUID
        var family: UUID
        var expiresAt: Date
        var revoked: Bool
        var replaced: Bool
    }

    static func insert(user: UUID, hash: String, family: UUID, expiresAt: Date, ip: String?, userAgent: String?) -> PostgresQuery {
        """
        INSERT INTO refresh_tokens (user_id, token_hash, family_id, expires_at, ip, user_agent)
        VALUES (\(user), \(hash), \(family), \(expiresAt), \(ip)::inet, \(userAgent)) RETURNING id
        """
    }

    static func byHash(_ hash: String) -> PostgresQuery {
        """
        SELECT id, user_id, family_id, expires_at, revoked_at IS NOT NULL AS revoked, replaced_by IS NOT NULL AS replaced
        FROM refresh_tokens WHERE token_hash = \(hash) FOR UPDATE
        """
    }

    static func decode(_ row: PostgresRow) throws -> Token {
        Token(id: try row.decode("id"), userID: try row.decode("user_id"), family: try row.decode("family_id"),
              expiresAt: try row.decode("expires_at"), revoked: try row.decode("revoked"), replaced: try row.decode("replaced"))
    }

    static func markReplaced(_ id: UUID, by next: UUID) -> PostgresQuery {
        "UPDATE refresh_tokens SET revoked_at = now(), replaced_by = \(next) WHERE id = \(id)"
    }

    static func revokeFamily(_ family: UUID) -> PostgresQuery {
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = \(family) AND revoked_at IS NULL"
    }

    /// Every session of the user, except `keep` when given.
    static func revokeAll(user: UUID, except keep: UUID?) -> PostgresQuery {
        """
        UPDATE refresh_tokens SET revoked_at = now()
        WHERE user_id = \(user) AND revoked_at IS NULL AND (\(keep)::uuid IS NULL OR family_id <> \(keep)::uuid)
        """
    }

    static var statements: [PostgresQuery] {
        let id = UUID()
        return [insert(user: id, hash: String(repeating: "a", count: 64), family: id, expiresAt: Date(), ip: "127.0.0.1", userAgent: nil),
                byHash("x"), markReplaced(id, by: id), revokeFamily(id), revokeAll(user: id, except: nil)]
    }
}
