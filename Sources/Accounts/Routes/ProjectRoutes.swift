import Foundation
import HTTPServer
import Platform
import SystemSupport

/// /api/v1/projects and /api/v1/projects/:id/members.
enum ProjectRoutes {
    struct NewProject: StrictDecodable {
        static let fields: Set<String> = ["name", "description", "settings"]
        var name: String
        var description: String?
        var settings: JSONValue?
    }

    /// A change: absent fields stay; `description: null` clears it.
    struct ProjectPatch: StrictDecodable {
        static let fields: Set<String> = ["name", "description", "settings"]
        var name: String?
        var description: String??
        var settings: JSONValue?
        enum CodingKeys: String, CodingKey { case name, description, settings }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            for key in [CodingKeys.name, .settings] where c.contains(key) {
                if try c.decodeNil(forKey: key) { throw AppError.validation([FieldIssue(field: key.rawValue, issue: "must not be null")]) }
            }
            name = try c.decodeIfPresent(String.self, forKey: .name)
            if c.contains(.description) { description = .some(try c.decodeNil(forKey: .description) ? nil : try c.decode(String.self, forKey: .description)) }
            settings = try c.decodeIfPresent(JSONValue.self, forKey: .settings)
        }
    }

    struct NewMember: StrictDecodable {
        static let fields: Set<String> = ["user_id", "user_email", "role"]
        var userID: String?
        var userEmail: String?
        var role: String
        enum CodingKeys: String, CodingKey { case userID = "user_id", userEmail = "user_email", role }
    }

    struct MemberPatch: StrictDecodable {
        static let fields: Set<String> = ["role"]
        var role: String
    }

    static let project = Schema.object([
        ("id", .string(format: "uuid")), ("name", .text), ("description", .nullable(.text)), ("status", .string(enumValues: ["active", "archived"])),
        ("settings", .anyObject), ("owner_id", .string(format: "uuid")), ("role", .nullable(.string(enumValues: ProjectPolicy.Role.allCases.map(\.rawValue)))),
        ("created_at", .dateTime), ("updated_at", .dateTime),
    ], required: ["id", "name", "status", "settings", "owner_id", "created_at", "updated_at"])
    static let member = Schema.object([("user_id", .string(format: "uuid")), ("email", .text),
                                       ("role", .string(enumValues: ProjectPolicy.Role.allCases.map(\.rawValue))), ("created_at", .dateTime)],
                                      required: ["user_id", "email", "role", "created_at"])
    static let idParameter = ParameterDoc("id", in: .path, .string(format: "uuid"), "the project's id")
    static let userParameter = ParameterDoc("user_id", in: .path, .string(format: "uuid"), "the member's user id")
    static let roles = ProjectPolicy.Role.allCases.map(\.rawValue)

    static func register(_ routes: inout Routes, projects: ProjectService) throws {
        let body = 64 * 1024
        let writable = Schema.object([("name", .string(maxLength: 255)), ("description", .nullable(.string(maxLength: 4000))), ("settings", .anyObject)])
        try routes.post("/api/v1/projects", RouteOptions(access: .authenticated, maxBodyBytes: body, doc: RouteDoc(
            "Create a project; the caller becomes its owner", tag: "projects",
            requestBody: .object([("name", .string(maxLength: 255)), ("description", .string(maxLength: 4000)), ("settings", .anyObject)], required: ["name"]),
            status: 201, data: project))) { request, context in
            let b = try JSONBody.decode(NewProject.self, from: request)
            let name = try validName(b.name)
            try validDescription(b.description)
            let created = try projects.create(try context.requirePrincipal(), name: name, description: b.description,
                                              settings: try settingsText(b.settings) ?? "{}", info: RequestInfo(request, context))
            return try context.success(ProjectView(project: created), status: .created)
        }
        try routes.get("/api/v1/projects", RouteOptions(access: .authenticated, doc: RouteDoc(
            "The caller's projects, newest first (an administrator sees all)", tag: "projects", parameters: [
                ParameterDoc("q", .string(maxLength: 255), "only projects whose name contains this"),
                Paging.limitParameter(default: 50),
                Paging.cursorParameter,
            ], data: .array(project)))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly(["q", "limit", "cursor"])
            let text = q.string("q", maxLength: 255)
            let limit = q.pageLimit(default: 50)
            let before = q.timeAndIDCursor()
            try q.validate()
            let page = try projects.list(try context.requirePrincipal(), query: text.flatMap { $0.isEmpty ? nil : $0 }, before: before, limit: limit)
            let next = page.count == limit ? page.last.map { PageCursor([$0.cursorTime, $0.project.id.uuidString.lowercased()]).encoded } : nil
            return try context.success(page.map { ProjectView(project: $0.project) }, meta: Paging.meta(limit: limit, next: next))
        }
        try routes.get("/api/v1/projects/:id", RouteOptions(access: .authenticated, doc: RouteDoc(
            "One project (404 unless the caller is a member or an administrator)", tag: "projects", parameters: [idParameter], data: project))) { _, context in
            try context.success(ProjectView(project: try projects.get(try context.requirePrincipal(), try context.uuidParameter("id"))))
        }
        try routes.patch("/api/v1/projects/:id", RouteOptions(access: .authenticated, maxBodyBytes: body, doc: RouteDoc(
            "Change name, description or settings (owners)", tag: "projects", parameters: [idParameter], requestBody: writable, data: project))) { request, context in
            let id = try context.uuidParameter("id")
            let b = try JSONBody.decode(ProjectPatch.self, from: request)
            let name = try b.name.map(validName)
            if case .some(.some(let d)) = b.description { try validDescription(d) }
            guard b.name != nil || b.description != nil || b.settings != nil else {
                throw AppError.validation([FieldIssue(field: "body", issue: "give name, description or settings")])
            }
            let updated = try projects.update(try context.requirePrincipal(), id, name: name, description: b.description,
                                              settings: try settingsText(b.settings), info: RequestInfo(request, context))
            return try context.success(ProjectView(project: updated))
        }
        try routes.delete("/api/v1/projects/:id", RouteOptions(access: .authenticated, doc: RouteDoc(
            "Delete a project (owners; soft: its name can be used again)", tag: "projects", parameters: [idParameter],
            data: .object([("deleted", .boolean)], required: ["deleted"])))) { request, context in
            try projects.delete(try context.requirePrincipal(), try context.uuidParameter("id"), info: RequestInfo(request, context))
            return try context.success(["deleted": true])
        }
        try routes.get("/api/v1/projects/:id/members", RouteOptions(access: .authenticated, doc: RouteDoc(
            "The project's members", tag: "projects", parameters: [idParameter], data: .array(member)))) { _, context in
            try context.success(try projects.members(try context.requirePrincipal(), try context.uuidParameter("id")).map(MemberView.init))
        }
        try routes.post("/api/v1/projects/:id/members", RouteOptions(access: .authenticated, maxBodyBytes: body, doc: RouteDoc(
            "Add a member by user_id or user_email (owners)", tag: "projects", parameters: [idParameter],
            requestBody: .object([("user_id", .string(format: "uuid")), ("user_email", .string(maxLength: 320)), ("role", .string(enumValues: roles))],
                                 required: ["role"]), status: 201, data: member))) { request, context in
            let id = try context.uuidParameter("id")
            let b = try JSONBody.decode(NewMember.self, from: request)
            let role = try validRole(b.role)
            var user: UUID?
            var email: String?
            switch (b.userID, b.userEmail) {
            case (let u?, nil):
                guard let parsed = UUID(uuidString: u) else { throw AppError.validation([FieldIssue(field: "user_id", issue: "must be a UUID")]) }
                user = parsed
            case (nil, let e?): email = try AuthService.normalizedEmail(e)
            default: throw AppError.validation([FieldIssue(field: "user_id", issue: "give exactly one of user_id and user_email")])
            }
            let added = try projects.addMember(try context.requirePrincipal(), id, user: user, email: email, role: role, info: RequestInfo(request, context))
            return try context.success(MemberView(member: added), status: .created)
        }
        try routes.patch("/api/v1/projects/:id/members/:user_id", RouteOptions(access: .authenticated, maxBodyBytes: body, doc: RouteDoc(
            "Change a member's role (owners; the last owner cannot be demoted)", tag: "projects", parameters: [idParameter, userParameter],
            requestBody: .object([("role", .string(enumValues: roles))], required: ["role"]), data: member))) { request, context in
            let b = try JSONBody.decode(MemberPatch.self, from: request)
            let updated = try projects.updateMember(try context.requirePrincipal(), try context.uuidParameter("id"), user: try context.uuidParameter("user_id"),
                                                    role: try validRole(b.role), info: RequestInfo(request, context))
            return try context.success(MemberView(member: updated))
        }
        try routes.delete("/api/v1/projects/:id/members/:user_id", RouteOptions(access: .authenticated, doc: RouteDoc(
            "Remove a member (owners; anyone may leave; the last owner cannot go)", tag: "projects", parameters: [idParameter, userParameter],
            data: .object([("removed", .boolean)], required: ["removed"])))) { request, context in
            try projects.removeMember(try context.requirePrincipal(), try context.uuidParameter("id"), user: try context.uuidParameter("user_id"),
                                      info: RequestInfo(request, context))
            return try context.success(["removed": true])
        }
    }

    static func validName(_ raw: String) throws -> String {
        let name = raw.trimmingWhitespace()
        guard (1...255).contains(name.unicodeScalars.count) else {
            throw AppError.validation([FieldIssue(field: "name", issue: "must be 1 to 255 characters (not only spaces)")])
        }
        return name
    }

    static func validDescription(_ d: String?) throws {
        if let d, d.unicodeScalars.count > 4000 { throw AppError.validation([FieldIssue(field: "description", issue: "must be at most 4000 characters")]) }
    }

    static func validRole(_ r: String) throws -> ProjectPolicy.Role {
        guard let role = ProjectPolicy.Role(rawValue: r) else {
            throw AppError.validation([FieldIssue(field: "role", issue: "must be one of: \(roles.joined(separator: ", "))")])
        }
        return role
    }

    static func settingsText(_ s: JSONValue?) throws -> String? {
        guard let s else { return nil }
        guard s.isObject else { throw AppError.validation([FieldIssue(field: "settings", issue: "must be a JSON object")]) }
        return try s.text()
    }
}
