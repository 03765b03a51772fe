import Crypto
import Platform

/// Accounts' section of the configuration.
struct AccountsConfig: Sendable {
    var keys: [AccessTokens.Key] = []
    /// True when no JWT_SECRET was given (development): a random key, valid until restart.
    var ephemeralKey = false
    var issuer = "apiserver"
    var audience = "apiserver-api"
    var accessTokenSeconds = 900
    var refreshTokenSeconds = 7 * 86_400
    var hasher = PasswordHasher()
    var registrationOpen = true
    var maxFailuresPerAccount = 5
    var maxFailuresPerAddress = 20
    var failureWindowSeconds = 900

    static let variables: [ConfigVariable] = [
        ConfigVariable("JWT_SECRET", "", "access-token signing keys, comma-separated, each at least 32 bytes; the first signs, all verify (rotation); required in production, random per start otherwise; give it as JWT_SECRET_FILE", secret: true),
        ConfigVariable("JWT_ISSUER", "apiserver", "iss claim of access tokens"),
        ConfigVariable("JWT_AUDIENCE", "apiserver-api", "aud claim of access tokens"),
        ConfigVariable("ACCESS_TOKEN_TTL", "15m", "lifetime of an access token"),
        ConfigVariable("REFRESH_TOKEN_TTL_DAYS", "7", "lifetime of a refresh token (a session without activity) in days"),
        ConfigVariable("PASSWORD_SCRYPT_LOG_N", "15", "scrypt cost: N = 2^this (memory 128 * N * r bytes); a login rehashes hashes made with other parameters"),
        ConfigVariable("PASSWORD_SCRYPT_R", "8", "scrypt block size r"),
        ConfigVariable("PASSWORD_SCRYPT_P", "1", "scrypt parallelism p"),
        ConfigVariable("REGISTRATION_OPEN", "true", "anyone may register (POST /api/v1/auth/register); false: only `apiserver user create`"),
        ConfigVariable("LOGIN_MAX_FAILURES", "5", "failed logins per account within LOGIN_FAILURE_WINDOW before 429"),
        ConfigVariable("LOGIN_MAX_FAILURES_PER_ADDRESS", "20", "failed logins per client address within LOGIN_FAILURE_WINDOW before 429"),
        ConfigVariable("LOGIN_FAILURE_WINDOW", "15m", "window of the login failure counts"),
    ]

    static func read(_ services: AppServices) throws -> AccountsConfig {
        let r = ConfigReader(services.environment)
        var c = AccountsConfig()
        let secrets = try r.list("JWT_SECRET")
        if secrets.isEmpty {
            if services.config.environment == .production { throw ConfigError("JWT_SECRET", "is required when APP_ENV=production") }
            c.keys = [AccessTokens.Key(secret: SecureRandom.bytes(32))]
            c.ephemeralKey = true
        } else {
            for s in secrets where s.utf8.count < 32 { throw ConfigError("JWT_SECRET", "each key must be at least 32 bytes (one is \(s.utf8.count))") }
            c.keys = secrets.map { AccessTokens.Key(secret: Array($0.utf8)) }
        }
        c.issuer = try r.string("JWT_ISSUER").flatMap { $0.isEmpty ? nil : $0 } ?? c.issuer
        c.audience = try r.string("JWT_AUDIENCE").flatMap { $0.isEmpty ? nil : $0 } ?? c.audience
        c.accessTokenSeconds = (try r.duration("ACCESS_TOKEN_TTL") ?? 900_000) / 1000
        guard (60...86_400).contains(c.accessTokenSeconds) else { throw ConfigError("ACCESS_TOKEN_TTL", "must be between 1m and 24h") }
        c.refreshTokenSeconds = (try r.int("REFRESH_TOKEN_TTL_DAYS", 1...365) ?? 7) * 86_400
        c.hasher = PasswordHasher(logN: try r.int("PASSWORD_SCRYPT_LOG_N", 10...20) ?? 15, r: try r.int("PASSWORD_SCRYPT_R", 1...32) ?? 8,
                                  p: try r.int("PASSWORD_SCRYPT_P", 1...16) ?? 1)
        if services.config.environment == .production && c.hasher.logN < 14 {
            throw ConfigError("PASSWORD_SCRYPT_LOG_N", "must be at least 14 in production")
        }
        c.registrationOpen = try r.bool("REGISTRATION_OPEN") ?? true
        c.maxFailuresPerAccount = try r.int("LOGIN_MAX_FAILURES", 1...1000) ?? 5
        c.maxFailuresPerAddress = try r.int("LOGIN_MAX_FAILURES_PER_ADDRESS", 1...100_000) ?? 20
        c.failureWindowSeconds = (try r.duration("LOGIN_FAILURE_WINDOW") ?? 900_000) / 1000
        guard c.failureWindowSeconds >= 1 else { throw ConfigError("LOGIN_FAILURE_WINDOW", "must be at least 1s") }
        return c
    }
}
