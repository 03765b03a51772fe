import FoundationEssentials
import Postgres
import Synchronization

/// What a caller wants to do with a project.
public enum ProjectAction: String, Sendable, CaseIterable {
    /// See the project, its data, jobs and matches.
    case read
    /// Upload and change data, run jobs, resolve matches.
    case write
    /// Rename, change settings, delete, manage members.
    case manage
}

/// Decides project actions inside the caller's transaction: throws 404 NOT_FOUND when the
/// caller may not know the project, 403 FORBIDDEN when their role lacks the action.
public protocol ProjectAuthorizer: Sendable {
    func authorize(_ tx: Transaction, project: UUID, principal: Principal, action: ProjectAction) throws
}

/// The seam through which features that hang data off projects (reconciliation) ask the
/// feature that owns projects and memberships (accounts), without importing it: the owner
/// installs its authorizer when it is built, the others call `authorize`.
public final class ProjectAccess: Sendable {
    private let installed = Mutex<(any ProjectAuthorizer)?>(nil)

    public init() {}

    public func install(_ authorizer: any ProjectAuthorizer) {
        installed.withLock { $0 = authorizer }
    }

    public func authorize(_ tx: Transaction, project: UUID, principal: Principal, action: ProjectAction) throws {
        guard let authorizer = installed.withLock({ $0 }) else {
            // Deny by default: a build without the accounts feature has no project to grant.
            throw AppError(.internalError, "No project authorizer is installed")
        }
        try authorizer.authorize(tx, project: project, principal: principal, action: action)
    }
}
