import Foundation

/// JSON shapes of accounts' responses.
struct UserView: Encodable {
    let user: UserRecord
    enum CodingKeys: String, CodingKey { case id, email, role, isActive = "is_active", createdAt = "created_at", lastLoginAt = "last_login_at" }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(user.id.uuidString.lowercased(), forKey: .id)
        try c.encode(user.email, forKey: .email)
        try c.encode(user.role, forKey: .role)
        try c.encode(user.isActive, forKey: .isActive)
        try c.encode(ISO8601DateFormatter.fractional.string(from: user.createdAt), forKey: .createdAt)
        try c.encode(user.lastLoginAt.map { ISO8601DateFormatter.fractional.string(from: $0) }, forKey: .lastLoginAt)
    }
}

struct ProjectView: Encodable {
    let project: ProjectRecord
    enum CodingKeys: String, CodingKey {
        case id, name, description, status, settings, ownerID = "owner_id", role, createdAt = "created_at", updatedAt = "updated_at"
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(project.id.uuidString.lowercased(), forKey: .id)
        try c.encode(project.name, forKey: .name)
        try c.encode(project.description, forKey: .description)
        try c.encode(project.status, forKey: .status)
        try c.encode(RawJSON(project.settings), forKey: .settings)
        try c.encode(project.ownerID.uuidString.lowercased(), forKey: .ownerID)
        try c.encode(project.membership, forKey: .role)
        try c.encode(ISO8601DateFormatter.fractional.string(from: project.createdAt), forKey: .createdAt)
        try c.encode(ISO8601DateFormatter.fractional.string(from: project.updatedAt), forKey: .updatedAt)
    }
}

struct MemberView: Encodable {
    let member: MemberRecord
    enum CodingKeys: String, CodingKey { case userID = "user_id", email, role, createdAt = "created_at" }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(member.userID.uuidString.lowercased(), forKey: .userID)
        try c.encode(member.email, forKey: .email)
        try c.encode(member.role, forKey: .role)
        try c.encode(ISO8601DateFormatter.fractional.string(from: member.createdAt), forKey: .createdAt)
    }
}
