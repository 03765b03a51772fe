import Foundation
import HTTPServer
import Platform

/// /api/v1/auth/*: register, login, refresh, logout, me, change-password.
enum AuthRoutes {
    struct Credentials: StrictDecodable {
        static let fields: Set<String> = ["email", "password"]
        var email: String
        var password: String
    }

    struct RefreshBody: StrictDecodable {
        static let fields: Set<String> = ["refresh_token"]
        var refreshToken: String
        enum CodingKeys: String, CodingKey { case refreshToken = "refresh_token" }
    }

    struct PasswordChange: StrictDecodable {
        static let fields: Set<String> = ["current_password", "new_password"]
        var currentPassword: String
        var newPassword: String
        enum CodingKeys: String, CodingKey { case currentPassword = "current_password", newPassword = "new_password" }
    }

    static let user = Schema.object([("id", .string(format: "uuid")), ("email", .text), ("role", .string(enumValues: ["admin", "user"])),
                                     ("is_active", .boolean), ("created_at", .dateTime), ("last_login_at", .nullable(.dateTime))],
                                    required: ["id", "email", "role", "is_active", "created_at"])
    static let tokenPair = Schema.object([("access_token", .text), ("token_type", .string(enumValues: ["Bearer"])), ("expires_in", .integer(minimum: 1)),
                                          ("refresh_token", .text), ("refresh_expires_in", .integer(minimum: 1))],
                                         required: ["access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in"])
    static let credentials = Schema.object([("email", .string(maxLength: 320)), ("password", .string(maxLength: 1024))], required: ["email", "password"])
    static let done = Schema.object([("done", .boolean)], required: ["done"])

    static func register(_ routes: inout Routes, auth: AuthService) throws {
        // Above any valid body, so an over-long field gets its 400 naming the field rather than a 413.
        let small = 64 * 1024
        try routes.post("/api/v1/auth/register", RouteOptions(access: .public, maxBodyBytes: small, doc: RouteDoc(
            "Create an account: email, and a password of 12-128 characters that is not a common one", tag: "auth",
            requestBody: credentials, status: 201, data: .object([("user", user)], required: ["user"])))) { request, context in
            let body = try JSONBody.decode(Credentials.self, from: request)
            let created = try auth.register(email: body.email, password: body.password, info: RequestInfo(request, context))
            return try context.success(["user": UserView(user: created)], status: .created)
        }
        try routes.post("/api/v1/auth/login", RouteOptions(access: .public, maxBodyBytes: small, doc: RouteDoc(
            "Log in: an access token (JWT, 15 min) and a refresh token (7 days, single use); 429 after repeated failures", tag: "auth",
            requestBody: credentials, data: tokenPair))) { request, context in
            let body = try JSONBody.decode(Credentials.self, from: request)
            return try context.success(try auth.login(email: body.email, password: body.password, info: RequestInfo(request, context)))
        }
        try routes.post("/api/v1/auth/refresh", RouteOptions(access: .public, maxBodyBytes: small, doc: RouteDoc(
            "Exchange a refresh token for a new pair (the old one is spent; presenting a spent one ends the whole session)", tag: "auth",
            requestBody: .object([("refresh_token", .string(maxLength: 256))], required: ["refresh_token"]), data: tokenPair))) { request, context in
            let body = try JSONBody.decode(RefreshBody.self, from: request)
            return try context.success(try auth.refresh(body.refreshToken, info: RequestInfo(request, context)))
        }
        try routes.post("/api/v1/auth/logout", RouteOptions(access: .authenticated, doc: RouteDoc(
            "End this session: its refresh token and access tokens stop working at once", tag: "auth", data: done))) { request, context in
            try auth.logout(try context.requirePrincipal(), info: RequestInfo(request, context))
            return try context.success(["done": true])
        }
        try routes.post("/api/v1/auth/logout-all", RouteOptions(access: .authenticated, doc: RouteDoc(
            "End every session of the account", tag: "auth", data: done))) { request, context in
            try auth.logoutAll(try context.requirePrincipal(), info: RequestInfo(request, context))
            return try context.success(["done": true])
        }
        try routes.get("/api/v1/auth/me", RouteOptions(access: .authenticated, doc: RouteDoc(
            "The account of the access token", tag: "auth", data: user))) { _, context in
            try context.success(UserView(user: try auth.me(try context.requirePrincipal())))
        }
        try routes.post("/api/v1/auth/change-password", RouteOptions(access: .authenticated, maxBodyBytes: small, doc: RouteDoc(
            "Change the password (the other sessions end)", tag: "auth",
            requestBody: .object([("current_password", .string(maxLength: 1024)), ("new_password", .string(maxLength: 1024))],
                                 required: ["current_password", "new_password"]), data: done))) { request, context in
            let body = try JSONBody.decode(PasswordChange.self, from: request)
            try auth.changePassword(try context.requirePrincipal(), current: body.currentPassword, new: body.newPassword, info: RequestInfo(request, context))
            return try context.success(["done": true])
        }
    }

}
