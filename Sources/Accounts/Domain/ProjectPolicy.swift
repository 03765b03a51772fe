import Platform

/// The one policy deciding every project action (accounts and reconciliation ask it).
public enum ProjectPolicy {
    public enum Role: String, Sendable, CaseIterable, Comparable {
        case viewer, editor, owner

        var rank: Int { self == .viewer ? 0 : self == .editor ? 1 : 2 }
        public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }
    }

    /// The actions, shared with every feature through the platform seam.
    public typealias Action = ProjectAction

    public enum Decision: Sendable, Equatable {
        case allow
        /// The caller may see the project but not do this: 403.
        case forbidden
        /// The caller may not know the project exists: 404.
        case hidden
    }

    public static func decide(isAdmin: Bool, membership: Role?, action: Action) -> Decision {
        if isAdmin { return .allow }
        guard let membership else { return .hidden }
        switch action {
        case .read: return .allow
        case .write: return membership >= .editor ? .allow : .forbidden
        case .manage: return membership == .owner ? .allow : .forbidden
        }
    }
}
