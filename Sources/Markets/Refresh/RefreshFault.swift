/// Faults the tests inject into a refresh (REFRESH_FAULT_INJECTION, refused outside
/// APP_ENV=test) to prove that a failure at any step leaves the database as it was.
public enum RefreshFault: String, Sendable, CaseIterable {
    /// The provider fails after delivering part of the data.
    case providerHalfway = "provider_halfway"
    /// A row the database refuses, after the prices were merged.
    case constraintViolation = "constraint_violation"
    /// The transaction's own connection is terminated after the prices were merged.
    case connectionKilled = "connection_killed"
    /// The transaction waits (15 s) after every write, before COMMIT, so a test can SIGKILL the process.
    case pauseBeforeCommit = "pause_before_commit"
}
