import Foundation
import Postgres

/// A user as the services see it (the hash never leaves accounts).
struct UserRecord: Sendable {
    var id: UUID
    var email: String
    var role: String
    var isActive: Bool
    var passwordHash: String
    var createdAt: Date
    var lastLoginAt: Date?

    static func decode(_ row: PostgresRow) throws -> UserRecord {
        UserRecord(id: try row.decode("id"), email: try row.decode("email"), role: try row.decode("role"), isActive: try row.decode("is_active"),
                   passwordHash: try row.decode("password_hash"), createdAt: try row.decode("created_at"),
                   lastLoginAt: try row.decode("last_login_at"))
    }
}

enum UserRepository: StatementCatalog {
    static let columns = "id, email, role, is_active, password_hash, created_at, last_login_at"

    static func insert(email: String, passwordHash: String, role: String) -> PostgresQuery {
        """
        INSERT INTO users (email, email_key, password_hash, role) VALUES (\(email), \(EmailAddress.key(email)), \(passwordHash), \(role))
        RETURNING \(unsafeSQL: columns)
        """
    }

    /// The live account of an address, by its identity key (EmailAddress.key).
    static func byEmail(_ email: String) -> PostgresQuery {
        "SELECT \(unsafeSQL: columns) FROM users WHERE email_key = \(EmailAddress.key(email)) AND deleted_at IS NULL"
    }

    /// Accounts whose address is not plain ASCII: their key is the Swift rule's, written once
    /// at start (migration 0008 could only fold them with SQL's lower()).
    static let nonASCII = "SELECT id, email, email_key FROM users WHERE email ~ '[^\\x01-\\x7F]'"

    static func setKey(_ id: UUID, _ key: String) -> PostgresQuery {
        "UPDATE users SET email_key = \(key) WHERE id = \(id) AND email_key <> \(key)"
    }

    static func byID(_ id: UUID, forUpdate: Bool = false) -> PostgresQuery {
        "SELECT \(unsafeSQL: columns) FROM users WHERE id = \(id) AND deleted_at IS NULL\(unsafeSQL: forUpdate ? " FOR UPDATE" : "")"
    }

    static func setPasswordHash(_ id: UUID, _ hash: String) -> PostgresQuery {
        "UPDATE users SET password_hash = \(hash) WHERE id = \(id)"
    }

    static func recordLogin(_ id: UUID) -> PostgresQuery { "UPDATE users SET last_login_at = now() WHERE id = \(id)" }

    static func update(_ id: UUID, role: String?, active: Bool?) -> PostgresQuery {
        """
        UPDATE users SET role = coalesce(\(role)::text, role), is_active = coalesce(\(active)::boolean, is_active)
        WHERE id = \(id) AND deleted_at IS NULL RETURNING \(unsafeSQL: columns)
        """
    }

    /// A keyset page ordered by (created_at, id); `cursor_time` is created_at at full precision.
    static func page(after: (String, UUID)?, limit: Int) -> PostgresQuery {
        """
        SELECT \(unsafeSQL: columns), created_at::text AS cursor_time FROM users
        WHERE deleted_at IS NULL AND (\(after?.0)::timestamptz IS NULL OR (created_at, id) > (\(after?.0)::timestamptz, \(after?.1)::uuid))
        ORDER BY created_at, id LIMIT \(limit)
        """
    }

    /// What every authenticated request checks: the user still active and the session alive.
    static func authState(user: UUID, session: UUID) -> PostgresQuery {
        """
        SELECT u.role, (u.is_active AND u.deleted_at IS NULL) AS active,
               EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = \(session) AND t.user_id = u.id
                       AND t.revoked_at IS NULL AND t.expires_at > now()) AS session_alive
        FROM users u WHERE u.id = \(user)
        """
    }

    static var statements: [PostgresQuery] {
        let id = UUID()
        return [insert(email: "a@b.c", passwordHash: "x", role: "user"), byEmail("a@b.c"), PostgresQuery(unsafeSQL: nonASCII), setKey(id, "a@b.c"), byID(id), byID(id, forUpdate: true),
                setPasswordHash(id, "x"), recordLogin(id), update(id, role: nil, active: nil), page(after: ("2026-01-01 00:00:00+00", id), limit: 1),
                authState(user: id, session: id)]
    }
}
