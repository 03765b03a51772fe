import Foundation
import Platform
import Postgres

/// Administration of accounts: listing, role and activation changes.
final class UserAdminService: Sendable {
    let pool: ConnectionPool

    init(pool: ConnectionPool) { self.pool = pool }

    /// A page of users, each with its keyset position.
    func list(after: (String, UUID)?, limit: Int) throws -> [(user: UserRecord, cursorTime: String)] {
        try pool.transaction { tx in
            try tx.query(UserRepository.page(after: after, limit: limit)).map { (try UserRecord.decode($0), try $0.decode("cursor_time")) }
        }
    }

    /// Changes role and/or activation; deactivation ends every session of the user.
    func update(_ id: UUID, role: String?, active: Bool?, by principal: Principal, info: RequestInfo) throws -> UserRecord {
        if principal.id == id.uuidString.lowercased() && (active == false || (role != nil && role != Principal.adminRole)) {
            throw AppError(.conflict, "An administrator cannot deactivate or demote their own account")
        }
        return try pool.transaction { tx in
            guard let before = try tx.query(UserRepository.byID(id, forUpdate: true)).first.map(UserRecord.decode) else {
                throw AppError.notFound("No user with this id")
            }
            guard let row = try tx.query(UserRepository.update(id, role: role, active: active)).first else { throw AppError.notFound("No user with this id") }
            let after = try UserRecord.decode(row)
            if active == false && before.isActive { try tx.query(SessionRepository.revokeAll(user: id, except: nil)) }
            if before.role != after.role || before.isActive != after.isActive {
                try AuditTrail.record(tx, info.audit(UUID(uuidString: principal.id), "user.updated", "user", id.uuidString.lowercased(),
                                                               old: #"{"role":"\#(before.role)","active":\#(before.isActive)}"#,
                                                               new: #"{"role":"\#(after.role)","active":\#(after.isActive)}"#))
            }
            return after
        }
    }
}

/// The audit trail for administrators.
final class AuditService: Sendable {
    let pool: ConnectionPool

    init(pool: ConnectionPool) { self.pool = pool }

    struct Row: Encodable {
        var id: Int64
        var occurredAt: String
        var userID: String?
        var action: String
        var resourceType: String
        var resourceID: String?
        var requestID: String?
        var ip: String?
        var userAgent: String?
        var oldValues: RawJSON?
        var newValues: RawJSON?

        enum CodingKeys: String, CodingKey {
            case id, occurredAt = "occurred_at", userID = "user_id", action, resourceType = "resource_type", resourceID = "resource_id"
            case requestID = "request_id", ip, userAgent = "user_agent", oldValues = "old_values", newValues = "new_values"
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(occurredAt, forKey: .occurredAt)
            try c.encode(userID, forKey: .userID)
            try c.encode(action, forKey: .action)
            try c.encode(resourceType, forKey: .resourceType)
            try c.encode(resourceID, forKey: .resourceID)
            try c.encode(requestID, forKey: .requestID)
            try c.encode(ip, forKey: .ip)
            try c.encode(userAgent, forKey: .userAgent)
            try c.encode(oldValues, forKey: .oldValues)
            try c.encode(newValues, forKey: .newValues)
        }
    }

    func page(_ filter: AuditRepository.Filter) throws -> [Row] {
        try pool.transaction { tx in
            try tx.query(AuditRepository.page(filter)).map { r in
                let at: Date = try r.decode("occurred_at")
                return Row(id: Int64(try r.decode("id", as: Int.self)), occurredAt: ISO8601DateFormatter.fractional.string(from: at),
                            userID: try r.decode("user_id", as: UUID?.self)?.uuidString.lowercased(), action: try r.decode("action"),
                            resourceType: try r.decode("resource_type"), resourceID: try r.decode("resource_id"), requestID: try r.decode("request_id"),
                            ip: try r.decode("ip"), userAgent: try r.decode("user_agent"),
                            oldValues: try r.decode("old_values", as: String?.self).map(RawJSON.init),
                            newValues: try r.decode("new_values", as: String?.self).map(RawJSON.init))
            }
        }
    }
}

/// JSON text stored in the database, decoded for output as the value it is.
struct RawJSON: Encodable {
    let value: Any?
    init(_ text: String) { value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) }
    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(JSONValue(value))
    }
}

/// Any JSON value (from JSONSerialization) as Encodable.
indirect enum JSONValue: Codable {
    case null, bool(Bool), number(Double), integer(Int64), string(String), array([JSONValue]), object([String: JSONValue])

    init(_ any: Any?) {
        switch any {
        case nil, is NSNull: self = .null
        case let n as NSNumber:
            let type = String(cString: n.objCType)
            if type == "c" { self = .bool(n.boolValue) } else if type == "d" || type == "f" { self = .number(n.doubleValue) } else { self = .integer(n.int64Value) }
        case let s as String: self = .string(s)
        case let a as [Any]: self = .array(a.map { JSONValue($0) })
        case let o as [String: Any]: self = .object(o.mapValues { JSONValue($0) })
        default: self = .null
        }
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let i = try? c.decode(Int64.self) {
            self = .integer(i)
        } else if let d = try? c.decode(Double.self) { self = .number(d) } else if let s = try? c.decode(String.self) { self = .string(s) } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    var isObject: Bool { if case .object = self { true } else { false } }

    /// Compact JSON text (keys sorted).
    func text() throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(self), as: UTF8.self)
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let d): try c.encode(d)
        case .integer(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let fractional: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}
