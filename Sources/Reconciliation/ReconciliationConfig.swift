import Platform

/// Reconciliation's section of the configuration.
struct ReconciliationConfig: Sendable {
    var uploadMaxBytes = 100 * 1024 * 1024
    var jobTimeoutMs = 1_800_000
    var jobMaxAttempts = 3

    static let variables: [ConfigVariable] = [
        ConfigVariable("UPLOAD_MAX_BYTES", "104857600", "largest CSV upload in bytes (413 above it); uploads stream, so memory does not grow with it"),
        ConfigVariable("RECON_JOB_TIMEOUT", "30m", "a reconciliation job running longer is cancelled and recorded as failed"),
        ConfigVariable("RECON_JOB_MAX_ATTEMPTS", "3", "times a reconciliation job is started again after its instance died before it is given up"),
    ]

    static func read(_ services: AppServices) throws -> ReconciliationConfig {
        let r = ConfigReader(services.environment)
        var c = ReconciliationConfig()
        c.uploadMaxBytes = try r.int("UPLOAD_MAX_BYTES", 1_024...(8 << 30)) ?? c.uploadMaxBytes
        c.jobTimeoutMs = try r.duration("RECON_JOB_TIMEOUT") ?? c.jobTimeoutMs
        guard c.jobTimeoutMs >= 1_000 else { throw ConfigError("RECON_JOB_TIMEOUT", "must be at least 1s") }
        c.jobMaxAttempts = try r.int("RECON_JOB_MAX_ATTEMPTS", 1...100) ?? c.jobMaxAttempts
        return c
    }
}
