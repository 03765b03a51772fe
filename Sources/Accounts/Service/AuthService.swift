import Crypto
import Foundation
import Platform
import SystemSupport
import Postgres

/// Registration, login, token refresh with rotation and reuse detection, logout, password
/// changes. Every change writes its audit row in its own transaction.
final class AuthService: Sendable {
    struct TokenPair: Encodable, Sendable {
        var accessToken: String
        var tokenType = "Bearer"
        var expiresIn: Int
        var refreshToken: String
        var refreshExpiresIn: Int
        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token", tokenType = "token_type", expiresIn = "expires_in", refreshToken = "refresh_token"
            case refreshExpiresIn = "refresh_expires_in"
        }
    }

    let pool: ConnectionPool
    let config: AccountsConfig
    let tokens: AccessTokens
    let clock: @Sendable () -> Date

    init(pool: ConnectionPool, config: AccountsConfig, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.pool = pool
        self.config = config
        tokens = AccessTokens(keys: config.keys, issuer: config.issuer, audience: config.audience, lifetimeSeconds: config.accessTokenSeconds)
        self.clock = clock
    }

    static let invalidCredentials = AppError(.unauthorized, "Invalid email or password")

    // MARK: Accounts

    static func normalizedEmail(_ raw: String) throws -> String {
        switch EmailAddress.normalize(raw) {
        case .success(let e): return e
        case .failure(let p): throw AppError.validation([FieldIssue(field: "email", issue: p.issue)])
        }
    }

    /// Creates an account (self-registration, or the CLI with any role).
    func register(email raw: String, password: String, role: String = "user", info: RequestInfo, viaCommandLine: Bool = false) throws -> UserRecord {
        guard config.registrationOpen || viaCommandLine else { throw AppError(.forbidden, "Self-registration is closed") }
        let email = try Self.normalizedEmail(raw)
        if let problem = PasswordPolicy.problem(password, email: email) {
            throw AppError.validation([FieldIssue(field: "password", issue: problem)])
        }
        let hash = try config.hasher.hash(Self.typed(password))
        do {
            return try pool.transaction { tx in
                guard let row = try tx.query(UserRepository.insert(email: email, passwordHash: hash, role: role)).first else {
                    throw AppError(.internalError, "the account was not stored")
                }
                let user = try UserRecord.decode(row)
                try AuditTrail.record(tx, info.audit(user.id, "auth.register", "user", user.id.uuidString.lowercased(),
                                                               new: #"{"email":\#(JSONWriter.quoted(email)),"role":\#(JSONWriter.quoted(role))}"#))
                return user
            }
        } catch let e as PostgresError where e.sqlState == "23505" {
            throw AppError(.conflict, "An account with this email already exists")
        }
    }

    // MARK: Login

    func login(email raw: String, password: String, info: RequestInfo) throws -> TokenPair {
        let email = (try? Self.normalizedEmail(raw)) ?? raw.trimmingWhitespace()
        let user = try pool.transaction { tx in try tx.query(UserRepository.byEmail(email)).first.map(UserRecord.decode) }
        // The throttle counts failures of the account itself once it is known, however its
        // address was typed; of the typed address's key otherwise.
        let key = user.map { "user:" + $0.id.uuidString.lowercased() } ?? EmailAddress.key(email)
        try checkThrottle(key: key, ip: info.ip)
        guard let user else {
            // Same work as a wrong password, so timing does not tell which emails exist.
            config.hasher.verifyNothing(password)
            try recordFailure(key: key, user: nil, info: info)
            throw Self.invalidCredentials
        }
        guard verifyPassword(password, user.passwordHash), user.isActive else {
            try recordFailure(key: key, user: user.id, info: info)
            throw Self.invalidCredentials
        }
        let rehash = config.hasher.needsRehash(user.passwordHash) ? try config.hasher.hash(Self.typed(password)) : nil
        return try pool.transaction { tx in
            if let rehash { try tx.query(UserRepository.setPasswordHash(user.id, rehash)) }
            try tx.query(UserRepository.recordLogin(user.id))
            let pair = try startSession(tx, user: user, family: UUID(), info: info)
            try AuditTrail.record(tx, info.audit(user.id, "auth.login", "user", user.id.uuidString.lowercased(),
                                                           new: rehash != nil ? #"{"password_rehashed":true}"# : nil))
            return pair
        }
    }

    /// A password as it is hashed: composed (NFC), so that "é" typed as one character or as
    /// e and a combining accent is the same password.
    static func typed(_ password: String) -> String { password.precomposedStringWithCanonicalMapping }

    /// Verifies the composed form, and the form as typed for a hash made before passwords were
    /// composed.
    private func verifyPassword(_ password: String, _ hash: String) -> Bool {
        let composed = Self.typed(password)
        return config.hasher.verify(composed, against: hash) || (composed != password && config.hasher.verify(password, against: hash))
    }

    /// A wrong password, as the throttle counts it (`AuditRepository.failedPasswordActions`).
    private func recordFailure(key: String, user: UUID?, info: RequestInfo, action: String = "auth.login_failed") throws {
        try pool.transaction { tx in
            try AuditTrail.record(tx, info.audit(user, action, "login", key))
        }
    }

    /// 429 once the account or the address has had too many failures in the window.
    private func checkThrottle(key: String, ip: String?) throws {
        let now = clock()
        let since = now.addingTimeInterval(-Double(config.failureWindowSeconds))
        guard let row = try pool.transaction({ tx in try tx.query(AuditRepository.recentFailures(email: key, ip: ip, since: since)).first }) else { return }
        let byAccount: Int = try row.decode("by_account"), byAddress: Int = try row.decode("by_address")
        var oldest: Date?
        if byAccount >= config.maxFailuresPerAccount { oldest = try row.decode("oldest_by_account") }
        if byAddress >= config.maxFailuresPerAddress, let o: Date = try row.decode("oldest_by_address") { oldest = max(oldest ?? o, o) }
        guard let oldest else { return }
        let retry = max(1, Int((oldest.timeIntervalSince(now) + Double(config.failureWindowSeconds)).rounded(.up)))
        throw AppError(.rateLimited, "Too many failed logins; try again in \(retry) seconds", headers: [("Retry-After", String(retry))])
    }

    /// A new refresh token in `family` and an access token for it.
    private func startSession(_ tx: Transaction, user: UserRecord, family: UUID, info: RequestInfo) throws -> TokenPair {
        let refresh = Base64URL.encode(SecureRandom.bytes(32))
        let now = clock()
        _ = try tx.query(SessionRepository.insert(user: user.id, hash: SHA256.hex(Array(refresh.utf8)), family: family,
                                                  expiresAt: now.addingTimeInterval(Double(config.refreshTokenSeconds)), ip: info.ip,
                                                  userAgent: info.userAgent))
        let access = tokens.issue(subject: user.id.uuidString.lowercased(), role: user.role, session: family.uuidString.lowercased(),
                                  now: Int(now.timeIntervalSince1970))
        return TokenPair(accessToken: access, expiresIn: config.accessTokenSeconds, refreshToken: refresh, refreshExpiresIn: config.refreshTokenSeconds)
    }

    // MARK: Refresh (rotation with reuse detection)

    enum RefreshOutcome {
        case rotated(TokenPair)
        case refused(String)
    }

    func refresh(_ token: String, info: RequestInfo) throws -> TokenPair {
        let hash = SHA256.hex(Array(token.utf8))
        // A reuse is recorded (family revoked, audit row) and committed before the refusal.
        let outcome = try pool.transaction { tx -> RefreshOutcome in
            guard let row = try tx.query(SessionRepository.byHash(hash)).first else { return .refused("unknown refresh token") }
            let old = try SessionRepository.decode(row)
            if old.revoked || old.replaced {
                try tx.query(SessionRepository.revokeFamily(old.family))
                try AuditTrail.record(tx, info.audit(old.userID, "auth.refresh_reuse", "session", old.family.uuidString.lowercased(),
                                                               new: #"{"family_revoked":true}"#))
                return .refused("refresh token already used; the session is revoked")
            }
            guard old.expiresAt > clock() else { return .refused("refresh token expired") }
            guard let u = try tx.query(UserRepository.byID(old.userID)).first.map(UserRecord.decode), u.isActive else {
                try tx.query(SessionRepository.revokeFamily(old.family))
                return .refused("account inactive")
            }
            let pair = try startSession(tx, user: u, family: old.family, info: info)
            guard let newID = try tx.query(SessionRepository.byHash(SHA256.hex(Array(pair.refreshToken.utf8)))).first?.decode("id", as: UUID.self) else {
                throw AppError(.internalError, "the new session token was not stored")
            }
            try tx.query(SessionRepository.markReplaced(old.id, by: newID))
            return .rotated(pair)
        }
        switch outcome {
        case .rotated(let pair): return pair
        case .refused(let why): throw AppError(.unauthorized, "The refresh token is not valid: \(why)")
        }
    }

    // MARK: Sessions and passwords

    func logout(_ principal: Principal, info: RequestInfo) throws {
        guard let user = UUID(uuidString: principal.id), let session = principal.session.flatMap(UUID.init(uuidString:)) else {
            throw AppError(.forbidden, "Only a user's access token has a session to end")
        }
        try pool.transaction { tx in
            try tx.query(SessionRepository.revokeFamily(session))
            try AuditTrail.record(tx, info.audit(user, "auth.logout", "session", session.uuidString.lowercased()))
        }
    }

    func logoutAll(_ principal: Principal, info: RequestInfo) throws {
        guard let user = UUID(uuidString: principal.id) else { throw AppError(.forbidden, "Only a user has sessions") }
        try pool.transaction { tx in
            try tx.query(SessionRepository.revokeAll(user: user, except: nil))
            try AuditTrail.record(tx, info.audit(user, "auth.logout_all", "user", user.uuidString.lowercased()))
        }
    }

    func me(_ principal: Principal) throws -> UserRecord {
        guard let id = UUID(uuidString: principal.id),
              let user = try pool.transaction({ tx in try tx.query(UserRepository.byID(id)).first.map(UserRecord.decode) }) else {
            throw AppError(.notFound, "This principal is not a user account")
        }
        return user
    }

    func changePassword(_ principal: Principal, current: String, new: String, info: RequestInfo) throws {
        let user = try me(principal)
        // A wrong current password counts against the account as a failed login does: a stolen
        // access token does not buy unlimited guesses at the password.
        let key = "user:" + user.id.uuidString.lowercased()
        try checkThrottle(key: key, ip: info.ip)
        guard verifyPassword(current, user.passwordHash) else {
            try recordFailure(key: key, user: user.id, info: info, action: "auth.password_change_failed")
            throw AppError.validation([FieldIssue(field: "current_password", issue: "is not the account's password")])
        }
        if let problem = PasswordPolicy.problem(new, email: user.email) {
            throw AppError.validation([FieldIssue(field: "new_password", issue: problem)])
        }
        let hash = try config.hasher.hash(Self.typed(new))
        let keep = principal.session.flatMap(UUID.init(uuidString:))
        try pool.transaction { tx in
            try tx.query(UserRepository.setPasswordHash(user.id, hash))
            try tx.query(SessionRepository.revokeAll(user: user.id, except: keep))
            try AuditTrail.record(tx, info.audit(user.id, "auth.password_changed", "user", user.id.uuidString.lowercased(),
                                                           new: #"{"other_sessions_revoked":true}"#))
        }
    }
}
