import Foundation
import Platform
import Postgres

/// Projects and members; every action goes through `ProjectPolicy` inside the transaction
/// that performs it.
final class ProjectService: ProjectAuthorizer {
    let pool: ConnectionPool

    init(pool: ConnectionPool) { self.pool = pool }

    static let nobody = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))

    /// The caller's user id (the admin API token has none).
    static func caller(_ p: Principal) -> UUID { UUID(uuidString: p.id) ?? nobody }

    static let hiddenError = AppError.notFound("No project with this id")

    /// Loads the project with the caller's membership and applies the policy: 404 when the
    /// caller may not know it, 403 when the role lacks the action.
    func authorize(_ tx: Transaction, _ id: UUID, _ principal: Principal, _ action: ProjectPolicy.Action, lock: Bool = false) throws -> ProjectRecord {
        guard let project = try tx.query(ProjectRepository.find(id, caller: Self.caller(principal), forUpdate: lock)).first.map(ProjectRecord.decode) else {
            throw Self.hiddenError
        }
        switch ProjectPolicy.decide(isAdmin: principal.isAdmin, membership: project.membership.flatMap(ProjectPolicy.Role.init), action: action) {
        case .allow: return project
        case .hidden: throw Self.hiddenError
        case .forbidden: throw AppError(.forbidden, "Your role in this project does not allow this")
        }
    }

    func authorize(_ tx: Transaction, project: UUID, principal: Principal, action: ProjectAction) throws {
        _ = try authorize(tx, project, principal, action)
    }

    func create(_ principal: Principal, name: String, description: String?, settings: String, info: RequestInfo) throws -> ProjectRecord {
        guard let owner = UUID(uuidString: principal.id) else { throw AppError(.forbidden, "Projects belong to user accounts; log in as a user") }
        do {
            return try pool.transaction { tx in
                guard let p = try tx.query(ProjectRepository.insert(owner: owner, name: name, description: description, settings: settings)).first
                    .map(ProjectRecord.decode) else { throw AppError(.internalError, "the project was not stored") }
                try AuditTrail.record(tx, info.audit(owner, "project.created", "project", p.id.uuidString.lowercased(),
                                                               new: #"{"name":\#(JSONWriter.quoted(name))}"#))
                return p
            }
        } catch let e as PostgresError where e.sqlState == "23505" {
            throw AppError(.conflict, "You already have a project with this name")
        }
    }

    func get(_ principal: Principal, _ id: UUID) throws -> ProjectRecord {
        try pool.transaction { tx in try authorize(tx, id, principal, .read) }
    }

    /// The caller's projects (every project for an administrator), each with its keyset position.
    func list(_ principal: Principal, query: String?, before: (String, UUID)?, limit: Int) throws -> [(project: ProjectRecord, cursorTime: String)] {
        try pool.transaction { tx in
            try tx.query(ProjectRepository.page(caller: Self.caller(principal), all: principal.isAdmin, query: query, before: before, limit: limit))
                .map { (try ProjectRecord.decode($0), try $0.decode("cursor_time")) }
        }
    }

    func update(_ principal: Principal, _ id: UUID, name: String?, description: String??, settings: String?, info: RequestInfo) throws -> ProjectRecord {
        do {
            return try pool.transaction { tx in
                let before = try authorize(tx, id, principal, .manage, lock: true)
                try tx.query(ProjectRepository.update(id, name: name, description: description, settings: settings))
                let after = try authorize(tx, id, principal, .read)
                try AuditTrail.record(tx, info.audit(UUID(uuidString: principal.id), "project.updated", "project", id.uuidString.lowercased(),
                                                               old: Self.auditView(before), new: Self.auditView(after)))
                return after
            }
        } catch let e as PostgresError where e.sqlState == "23505" {
            throw AppError(.conflict, "The owner already has a project with this name")
        }
    }

    static func auditView(_ p: ProjectRecord) -> String {
        #"{"name":\#(JSONWriter.quoted(p.name)),"description":\#(p.description.map(JSONWriter.quoted) ?? "null"),"settings":\#(p.settings)}"#
    }

    func delete(_ principal: Principal, _ id: UUID, info: RequestInfo) throws {
        try pool.transaction { tx in
            let before = try authorize(tx, id, principal, .manage, lock: true)
            try tx.query(ProjectRepository.softDelete(id))
            try AuditTrail.record(tx, info.audit(UUID(uuidString: principal.id), "project.deleted", "project", id.uuidString.lowercased(),
                                                           old: Self.auditView(before)))
        }
    }

    // MARK: Members

    func members(_ principal: Principal, _ id: UUID) throws -> [MemberRecord] {
        try pool.transaction { tx in
            _ = try authorize(tx, id, principal, .read)
            return try tx.query(ProjectRepository.members(id)).map(MemberRecord.decode)
        }
    }

    func addMember(_ principal: Principal, _ id: UUID, user: UUID?, email: String?, role: ProjectPolicy.Role, info: RequestInfo) throws -> MemberRecord {
        do {
            return try pool.transaction { tx in
                _ = try authorize(tx, id, principal, .manage, lock: true)
                let found: UserRecord?
                if let user { found = try tx.query(UserRepository.byID(user)).first.map(UserRecord.decode) } else if let email {
                    found = try tx.query(UserRepository.byEmail(email)).first.map(UserRecord.decode)
                } else { found = nil }
                guard let target = found, target.isActive else {
                    throw AppError.validation([FieldIssue(field: user != nil ? "user_id" : "user_email", issue: "is not an active user")])
                }
                try tx.query(ProjectRepository.addMember(id, target.id, role: role.rawValue))
                try AuditTrail.record(tx, info.audit(UUID(uuidString: principal.id), "project.member_added", "project", id.uuidString.lowercased(),
                                                               new: #"{"user_id":"\#(target.id.uuidString.lowercased())","role":"\#(role.rawValue)"}"#))
                guard let m = try tx.query(ProjectRepository.member(id, target.id)).first.map(MemberRecord.decode) else { throw Self.hiddenError }
                return m
            }
        } catch let e as PostgresError where e.sqlState == "23505" {
            throw AppError(.conflict, "This user is already a member; change their role instead")
        }
    }

    func updateMember(_ principal: Principal, _ id: UUID, user: UUID, role: ProjectPolicy.Role, info: RequestInfo) throws -> MemberRecord {
        try pool.transaction { tx in
            _ = try authorize(tx, id, principal, .manage, lock: true)
            let owners = try tx.query(ProjectRepository.owners(id)).map { try $0.decode("user_id", as: UUID.self) }
            guard let before = try tx.query(ProjectRepository.member(id, user)).first.map(MemberRecord.decode) else {
                throw AppError.notFound("No such member in this project")
            }
            if before.role == "owner" && role != .owner && owners.count <= 1 {
                throw AppError(.conflict, "The last owner cannot be demoted; make someone else owner first")
            }
            try tx.query(ProjectRepository.setMemberRole(id, user, role: role.rawValue))
            try AuditTrail.record(tx, info.audit(UUID(uuidString: principal.id), "project.member_updated", "project", id.uuidString.lowercased(),
                                                           old: #"{"user_id":"\#(user.uuidString.lowercased())","role":"\#(before.role)"}"#,
                                                           new: #"{"user_id":"\#(user.uuidString.lowercased())","role":"\#(role.rawValue)"}"#))
            var after = before
            after.role = role.rawValue
            return after
        }
    }

    /// Removes a member (a member may also leave by removing themselves).
    func removeMember(_ principal: Principal, _ id: UUID, user: UUID, info: RequestInfo) throws {
        try pool.transaction { tx in
            let leaving = Self.caller(principal) == user
            _ = try authorize(tx, id, principal, leaving ? .read : .manage, lock: true)
            let owners = try tx.query(ProjectRepository.owners(id)).map { try $0.decode("user_id", as: UUID.self) }
            guard let before = try tx.query(ProjectRepository.member(id, user)).first.map(MemberRecord.decode) else {
                throw AppError.notFound("No such member in this project")
            }
            if before.role == "owner" && owners.count <= 1 {
                throw AppError(.conflict, "The last owner cannot be removed; make someone else owner first")
            }
            try tx.query(ProjectRepository.removeMember(id, user))
            try AuditTrail.record(tx, info.audit(UUID(uuidString: principal.id), "project.member_removed", "project", id.uuidString.lowercased(),
                                                           old: #"{"user_id":"\#(user.uuidString.lowercased())","role":"\#(before.role)"}"#))
        }
    }
}
