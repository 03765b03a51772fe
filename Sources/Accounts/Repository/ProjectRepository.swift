import Foundation
import Postgres

struct ProjectRecord: Sendable {
    var id: UUID
    var ownerID: UUID
    var name: String
    var description: String?
    var status: String
    var settings: String
    var createdAt: Date
    var updatedAt: Date
    /// The caller's role in it (nil: not a member).
    var membership: String?

    static func decode(_ row: PostgresRow) throws -> ProjectRecord {
        ProjectRecord(id: try row.decode("id"), ownerID: try row.decode("owner_id"), name: try row.decode("name"),
                      description: try row.decode("description"), status: try row.decode("status"), settings: try row.decode("settings"),
                      createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"), membership: try row.decode("membership"))
    }
}

struct MemberRecord: Sendable {
    var userID: UUID
    var email: String
    var role: String
    var createdAt: Date

    static func decode(_ row: PostgresRow) throws -> MemberRecord {
        MemberRecord(userID: try row.decode("user_id"), email: try row.decode("email"), role: try row.decode("role"), createdAt: try row.decode("created_at"))
    }
}

/// Projects and their members. Every read is scoped by the caller: a project is found only
/// with the caller's membership beside it, and the policy decides.
enum ProjectRepository: StatementCatalog {
    static let columns = """
        p.id, p.owner_id, p.name, p.description, p.status, p.settings::text AS settings, p.created_at, p.updated_at
        """

    static func insert(owner: UUID, name: String, description: String?, settings: String) -> PostgresQuery {
        """
        WITH p AS (
            INSERT INTO projects (owner_id, name, description, settings) VALUES (\(owner), \(name), \(description), \(settings)::jsonb)
            RETURNING *
        ), m AS (
            INSERT INTO project_members (project_id, user_id, role) SELECT id, owner_id, 'owner' FROM p
        )
        SELECT \(unsafeSQL: columns), 'owner'::text AS membership FROM p
        """
    }

    static func find(_ id: UUID, caller: UUID, forUpdate: Bool = false) -> PostgresQuery {
        """
        SELECT \(unsafeSQL: columns), m.role AS membership
        FROM projects p LEFT JOIN project_members m ON m.project_id = p.id AND m.user_id = \(caller)
        WHERE p.id = \(id) AND p.deleted_at IS NULL\(unsafeSQL: forUpdate ? " FOR UPDATE OF p" : "")
        """
    }

    /// The caller's projects (all for an admin with `all`), keyset on (created_at, id), newest first.
    static func page(caller: UUID, all: Bool, query: String?, before: (String, UUID)?, limit: Int) -> PostgresQuery {
        """
        SELECT \(unsafeSQL: columns), m.role AS membership, p.created_at::text AS cursor_time
        FROM projects p LEFT JOIN project_members m ON m.project_id = p.id AND m.user_id = \(caller)
        WHERE p.deleted_at IS NULL AND (\(all) OR m.user_id IS NOT NULL)
          AND (\(query)::text IS NULL OR p.name ILIKE '%' || replace(replace(replace(\(query)::text, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')
          AND (\(before?.0)::timestamptz IS NULL OR (p.created_at, p.id) < (\(before?.0)::timestamptz, \(before?.1)::uuid))
        ORDER BY p.created_at DESC, p.id DESC LIMIT \(limit)
        """
    }

    static func update(_ id: UUID, name: String?, description: String??, settings: String?) -> PostgresQuery {
        let clearDescription = description.map { $0 == nil } ?? false
        return """
            UPDATE projects SET name = coalesce(\(name), name),
                description = CASE WHEN \(clearDescription) THEN NULL ELSE coalesce(\(description ?? nil), description) END,
                settings = coalesce(\(settings)::jsonb, settings)
            WHERE id = \(id) AND deleted_at IS NULL
            """
    }

    static func softDelete(_ id: UUID) -> PostgresQuery {
        "UPDATE projects SET deleted_at = now() WHERE id = \(id) AND deleted_at IS NULL"
    }

    static func members(_ project: UUID) -> PostgresQuery {
        """
        SELECT m.user_id, u.email, m.role, m.created_at FROM project_members m JOIN users u ON u.id = m.user_id
        WHERE m.project_id = \(project) ORDER BY m.created_at, m.user_id
        """
    }

    static func member(_ project: UUID, _ user: UUID) -> PostgresQuery {
        """
        SELECT m.user_id, u.email, m.role, m.created_at FROM project_members m JOIN users u ON u.id = m.user_id
        WHERE m.project_id = \(project) AND m.user_id = \(user) FOR UPDATE OF m
        """
    }

    static func addMember(_ project: UUID, _ user: UUID, role: String) -> PostgresQuery {
        "INSERT INTO project_members (project_id, user_id, role) VALUES (\(project), \(user), \(role))"
    }

    static func setMemberRole(_ project: UUID, _ user: UUID, role: String) -> PostgresQuery {
        "UPDATE project_members SET role = \(role) WHERE project_id = \(project) AND user_id = \(user)"
    }

    static func removeMember(_ project: UUID, _ user: UUID) -> PostgresQuery {
        "DELETE FROM project_members WHERE project_id = \(project) AND user_id = \(user)"
    }

    /// Owners of the project, locked, so two concurrent demotions cannot both pass the
    /// last-owner check.
    static func owners(_ project: UUID) -> PostgresQuery {
        "SELECT user_id FROM project_members WHERE project_id = \(project) AND role = 'owner' FOR UPDATE"
    }

    static var statements: [PostgresQuery] {
        let id = UUID()
        return [insert(owner: id, name: "n", description: nil, settings: "{}"), find(id, caller: id), find(id, caller: id, forUpdate: true),
                page(caller: id, all: false, query: "x", before: ("2026-01-01 00:00:00+00", id), limit: 1), update(id, name: "n", description: .some(nil), settings: "{}"),
                softDelete(id), members(id), member(id, id), addMember(id, id, role: "viewer"), setMemberRole(id, id, role: "viewer"),
                removeMember(id, id), owners(id)]
    }
}
