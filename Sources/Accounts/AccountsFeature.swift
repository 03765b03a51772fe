import Foundation
import HTTPServer
import Logging
import Platform
import Postgres

/// Accounts: users, sessions, roles, projects with members, the project policy and the audit trail.
public struct AccountsFeature: Feature {
    public static var configuration: [ConfigVariable] { AccountsConfig.variables }

    public static var statementCatalogs: [any StatementCatalog.Type] {
        [UserRepository.self, SessionRepository.self, AuditRepository.self, ProjectRepository.self]
    }

    let services: AppServices
    let config: AccountsConfig
    let auth: AuthService
    let users: UserAdminService
    let audit: AuditService
    let projects: ProjectService

    public init(services: AppServices) throws {
        self.services = services
        config = try AccountsConfig.read(services)
        let pool = services.database.pool
        auth = AuthService(pool: pool, config: config)
        users = UserAdminService(pool: pool)
        audit = AuditService(pool: pool)
        projects = ProjectService(pool: pool)
        services.projectAccess.install(projects)
        services.sessions.install { [pool] principal in AccessTokenAuthenticator.stillValid(principal, pool: pool) }
    }

    public func registerRoutes(_ routes: inout Routes) throws {
        routes.describe(AccountsGlossary.terms, examples: AccountsGlossary.examples)
        if config.ephemeralKey {
            services.logger.warning("JWT_SECRET is not set: access tokens are signed with a random key and stop working when this process restarts")
        }
        try AuthRoutes.register(&routes, auth: auth)
        try AdminRoutes.register(&routes, users: users, audit: audit)
        try ProjectRoutes.register(&routes, projects: projects)
    }

    /// Accounts with non-ASCII addresses get their identity key from the Swift rule (once; a
    /// no-op afterwards). Two accounts that fold to one key are left as they are and logged.
    public func start() throws {
        let rows = try services.database.pool.transaction { tx in try tx.query(PostgresQuery(unsafeSQL: UserRepository.nonASCII)) }
        for row in rows {
            let id: UUID = try row.decode("id"), email: String = try row.decode("email")
            do {
                _ = try services.database.pool.transaction { tx in try tx.query(UserRepository.setKey(id, EmailAddress.key(email))) }
            } catch {
                services.logger.error("an account's email key could not be set", metadata: ["user_id": "\(id.uuidString.lowercased())", "error": "\(error)"])
            }
        }
    }

    public var authenticators: [any Authenticator] {
        [AccessTokenAuthenticator(tokens: auth.tokens, pool: services.database.pool)]
    }

    /// `apiserver demo`: a project owned by `owner` (a user id), for demonstration data.
    public static func createProject(services: AppServices, owner: String, name: String, description: String) throws -> String {
        let feature = try AccountsFeature(services: services)
        let project = try feature.projects.create(Principal(id: owner, role: "user"), name: name, description: description, settings: "{}",
                                                  info: .commandLine)
        return project.id.uuidString.lowercased()
    }

    /// `apiserver user create`: an account with any role, password from the caller.
    public static func createUser(services: AppServices, email: String, password: String, role: String) throws -> (id: String, email: String) {
        guard ["admin", "user"].contains(role) else { throw AppError.validation([FieldIssue(field: "role", issue: "must be admin or user")]) }
        let feature = try AccountsFeature(services: services)
        let user = try feature.auth.register(email: email, password: password, role: role, info: .commandLine, viaCommandLine: true)
        return (user.id.uuidString.lowercased(), user.email)
    }
}
