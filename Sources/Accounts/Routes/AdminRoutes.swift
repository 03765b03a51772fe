import Foundation
import HTTPServer
import Platform

/// /api/v1/admin/users and /api/v1/admin/audit-logs (administrators).
enum AdminRoutes {
    struct UserPatch: StrictDecodable {
        static let fields: Set<String> = ["role", "active"]
        var role: String?
        var active: Bool?
        enum CodingKeys: String, CodingKey { case role, active }
        /// Absent fields stay as they are; an explicit null is not a value.
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            for key in [CodingKeys.role, .active] where c.contains(key) {
                if try c.decodeNil(forKey: key) { throw AppError.validation([FieldIssue(field: key.rawValue, issue: "must not be null")]) }
            }
            role = try c.decodeIfPresent(String.self, forKey: .role)
            active = try c.decodeIfPresent(Bool.self, forKey: .active)
        }
    }

    static func register(_ routes: inout Routes, users: UserAdminService, audit: AuditService) throws {
        try routes.get("/api/v1/admin/users", RouteOptions(access: .admin, doc: RouteDoc(
            "Accounts, oldest first (keyset pages)", tag: "admin", parameters: [
                Paging.limitParameter(default: 50),
                Paging.cursorParameter,
            ], data: .array(AuthRoutes.user)))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly(["limit", "cursor"])
            let limit = q.pageLimit(default: 50)
            let after = q.timeAndIDCursor()
            try q.validate()
            let page = try users.list(after: after, limit: limit)
            let next = page.count == limit ? page.last.map { PageCursor([$0.cursorTime, $0.user.id.uuidString.lowercased()]).encoded } : nil
            return try context.success(page.map { UserView(user: $0.user) }, meta: Paging.meta(limit: limit, next: next))
        }
        try routes.patch("/api/v1/admin/users/:id", RouteOptions(access: .admin, maxBodyBytes: 64 * 1024, doc: RouteDoc(
            "Change an account's role or activation (deactivation ends its sessions at once)", tag: "admin",
            parameters: [ParameterDoc("id", in: .path, .string(format: "uuid"), "the user's id")],
            requestBody: .object([("role", .string(enumValues: ["admin", "user"])), ("active", .boolean)]), data: AuthRoutes.user))) { request, context in
            guard let id = UUID(uuidString: try context.parameter("id")) else {
                throw AppError.validation([FieldIssue(field: "id", issue: "must be a UUID")])
            }
            let body = try JSONBody.decode(UserPatch.self, from: request)
            if let role = body.role, !["admin", "user"].contains(role) {
                throw AppError.validation([FieldIssue(field: "role", issue: "must be one of: admin, user")])
            }
            guard body.role != nil || body.active != nil else {
                throw AppError.validation([FieldIssue(field: "body", issue: "give role, active or both")])
            }
            let principal = try context.requirePrincipal()
            return try context.success(UserView(user: try users.update(id, role: body.role, active: body.active, by: principal,
                                                                       info: RequestInfo(request, context))))
        }
        try routes.get("/api/v1/admin/audit-logs", RouteOptions(access: .admin, doc: RouteDoc(
            "The audit trail, newest first (keyset pages)", tag: "admin", parameters: [
                ParameterDoc("user_id", .string(format: "uuid"), "only this user's actions"),
                ParameterDoc("action", .string(maxLength: 100), "only this action (e.g. auth.login_failed)"),
                ParameterDoc("resource_type", .string(maxLength: 100), "only this resource type"),
                ParameterDoc("from", .dateTime, "from this time (RFC 3339)"),
                ParameterDoc("to", .dateTime, "until this time (RFC 3339)"),
                Paging.limitParameter(default: 50),
                Paging.cursorParameter,
            ], data: .array(.anyObject)))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly(["user_id", "action", "resource_type", "from", "to", "limit", "cursor"])
            var filter = AuditRepository.Filter(limit: q.pageLimit(default: 50))
            if let u = q.string("user_id", maxLength: 36) {
                if let id = UUID(uuidString: u) { filter.userID = id } else { q.record(FieldIssue(field: "user_id", issue: "must be a UUID")) }
            }
            filter.action = q.string("action", maxLength: 100)
            filter.resourceType = q.string("resource_type", maxLength: 100)
            for name in ["from", "to"] {
                guard let text = q.string(name, maxLength: 40) else { continue }
                guard let d = ISO8601DateFormatter.fractional.date(from: text) ?? ISO8601DateFormatter().date(from: text) else {
                    q.record(FieldIssue(field: name, issue: "must be a time like 2026-01-31T12:00:00Z"))
                    continue
                }
                if name == "from" { filter.from = d } else { filter.to = d }
            }
            if let c = q.cursor() {
                if c.values.count == 1, let id = Int64(c.values[0]) {
                    filter.before = id
                } else { q.record(FieldIssue(field: "cursor", issue: "is not a valid cursor; use the next_cursor of a previous page")) }
            }
            try q.validate()
            let page = try audit.page(filter)
            let next = page.count == filter.limit ? page.last.map { PageCursor([String($0.id)]).encoded } : nil
            return try context.success(page, meta: Paging.meta(limit: filter.limit, next: next))
        }
    }
}
