import Synchronization

/// Whether a principal's login still stands (its account active, its session not ended),
/// asked again long after authentication by what outlives a request: an event-stream
/// subscription. The feature that owns sessions (accounts) installs the check; without one,
/// nothing is taken back.
public final class SessionValidity: Sendable {
    private let installed = Mutex<(@Sendable (Principal) -> Bool)?>(nil)

    public init() {}

    public func install(_ check: @escaping @Sendable (Principal) -> Bool) {
        installed.withLock { $0 = check }
    }

    /// True while the login stands, and for principals no login stands behind (an API token).
    public func stillValid(_ principal: Principal) -> Bool {
        guard principal.session != nil, let check = installed.withLock({ $0 }) else { return true }
        return check(principal)
    }
}
