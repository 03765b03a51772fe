import Glibc
import HTTPServer
import Logging
import Postgres
import SystemSupport

/// A configuration problem, naming the variable so an operator can fix it at once.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let variable: String
    public let message: String

    public init(_ variable: String, _ message: String) {
        self.variable = variable
        self.message = message
    }

    public var description: String { "invalid configuration: \(variable): \(message)" }
}

/// Process environment with `NAME_FILE` support: a secret may be given as a path to a file
/// holding it (trailing newline dropped), as container secret mounts do.
public struct Environment: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    public static func process() -> Environment {
        var values: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { values[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return Environment(values)
    }

    /// The value of `name`, reading `name_FILE` when `name` itself is unset. Empty means unset.
    public func value(_ name: String) throws -> String? {
        if let v = values[name], !v.isEmpty { return v }
        guard let path = values[name + "_FILE"], !path.isEmpty else { return nil }
        guard var bytes = Files.read(path, maxBytes: 1 << 20) else {
            throw ConfigError(name + "_FILE", "cannot read \(path), or it is larger than 1 MiB")
        }
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

public enum DeploymentEnvironment: String, Sendable {
    case development, test, production
}

/// Every setting of the server. Loaded once at start from the environment, validated as a
/// whole; `variables` is the documented list (and `.env.example` must match it, see tests).
public struct AppConfig: Sendable {
    public var environment: DeploymentEnvironment = .development
    public var server = HTTPServer.Configuration()
    public var shutdownTimeoutMs = 10_000
    public var shutdownDrainDelayMs = 0
    public var logLevel: Logger.Level = .info
    public var logJSON = true
    public var cors = CORSConfig()
    public var hstsMaxAge = 31_536_000
    public var rateLimit = RateLimitConfig()
    public var trustedProxies: [CIDR] = []
    public var gzipMinBytes = 1024
    public var gzipLevel: Int32 = 6
    public var enableTestRoutes = false
    /// Streamed responses one principal may have open at once (STREAMS_PER_USER); the total is
    /// `server.streamThreads`.
    public var streamsPerUser = 2
    public var jobs = JobRunner.Configuration()
    /// Bearer token for /admin/* (operators, cron); nil disables it.
    public var adminAPIToken: String?
    public var database = PostgresConfiguration(url: AppConfig.defaultDatabaseURL)
    public var migrateOnStart = true
    public var migrationsDirectory = "migrations"
    /// Local staging of backups and refresh exports (shared by the features that write them).
    public var backupDirectory = "backups"

    /// The cluster `scripts/run` creates under .data/.
    public static let defaultDatabaseURL = "postgresql://postgres@127.0.0.1:54329/apiserver"

    public init() {}

    /// Every variable of the core (features declare their own, see `Feature.configuration`).
    public static let variables: [ConfigVariable] = [
        ConfigVariable("APP_ENV", "development", "development | test | production; production refuses unsafe settings"),
        ConfigVariable("HOST", "127.0.0.1", "address to bind; 0.0.0.0 or :: for all interfaces"),
        ConfigVariable("PORT", "8080", "TCP port; 0 lets the kernel choose (the chosen port is logged)"),
        ConfigVariable("HTTP_THREADS", "0", "event-loop threads; 0 = one per core"),
        ConfigVariable("WORKER_THREADS", "8", "threads running handlers that may block (database calls)"),
        ConfigVariable("WORKER_QUEUE_LIMIT", "1024", "requests waiting for a worker before new ones get 503"),
        ConfigVariable("STREAM_WORKERS", "8", "streamed responses (exports) at once, each with its own thread and database connection apart from the request workers; more get 503"),
        ConfigVariable("STREAMS_PER_USER", "2", "streamed responses one account may have open at once; more get 429"),
        ConfigVariable("MAX_CONNECTIONS", "16384", "open connections before new ones get 503 (idle keep-alive connections are closed first to make room)"),
        ConfigVariable("MAX_CONNECTIONS_PER_CLIENT", "256", "open connections one client address may hold (503 beyond); 0 = no cap; TRUSTED_PROXIES are exempt"),
        ConfigVariable("REUSE_PORT", "false", "allow another process on the same port (SO_REUSEPORT hand-over restarts); otherwise a busy port stops start-up"),
        ConfigVariable("MAX_BODY_BYTES", "10485760", "default request body limit (413 above it)"),
        ConfigVariable("MAX_REQUEST_LINE_BYTES", "8192", "request line limit (414 above it)"),
        ConfigVariable("MAX_HEADER_BYTES", "32768", "header block limit (431 above it)"),
        ConfigVariable("MAX_HEADER_COUNT", "100", "header field count limit (431 above it)"),
        ConfigVariable("HEADER_TIMEOUT", "10s", "time to receive a request head (408 after it)"),
        ConfigVariable("BODY_TIMEOUT", "30s", "longest pause while receiving a body (408 after it)"),
        ConfigVariable("KEEPALIVE_TIMEOUT", "60s", "idle keep-alive connections are closed after this"),
        ConfigVariable("WRITE_TIMEOUT", "30s", "a client that reads nothing for this long is disconnected"),
        ConfigVariable("REQUEST_TIMEOUT", "30s", "whole-request deadline once received (504 TIMEOUT_ERROR, the running statement cancelled); routes may differ"),
        ConfigVariable("MIN_BODY_RATE", "1024", "bytes per second a request body must sustain over each 10 s window (408 below it); 0 = off"),
        ConfigVariable("BODY_MEMORY_BUDGET", "268435456", "bytes all incomplete request bodies may hold together; new bodies past it get 503"),
        ConfigVariable("SHUTDOWN_TIMEOUT", "10s", "on SIGTERM, how long in-flight requests may take to finish"),
        ConfigVariable("SHUTDOWN_DRAIN_DELAY", "0s", "on SIGTERM, keep serving with /ready = 503 this long first"),
        ConfigVariable("LOG_LEVEL", "info", "trace | debug | info | notice | warning | error | critical"),
        ConfigVariable("LOG_FORMAT", "json", "json | text"),
        ConfigVariable("CORS_ALLOWED_ORIGINS", "", "comma-separated origins allowed by CORS; * only outside production"),
        ConfigVariable("CORS_ALLOW_CREDENTIALS", "false", "send Access-Control-Allow-Credentials: true"),
        ConfigVariable("CORS_MAX_AGE", "600", "seconds browsers may cache a preflight answer"),
        ConfigVariable("HSTS_MAX_AGE", "31536000", "Strict-Transport-Security max-age; 0 disables the header"),
        ConfigVariable("RATE_LIMIT_ENABLED", "true", "per-client rate limiting of /api and /admin"),
        ConfigVariable("RATE_LIMIT_RPS", "10", "default policy: sustained requests per second per client"),
        ConfigVariable("RATE_LIMIT_BURST", "20", "default policy: burst size per client"),
        ConfigVariable("RATE_LIMIT_GROUPS", "", "extra policies: name=/path/prefix:rps:burst, comma-separated; longest prefix wins"),
        ConfigVariable("RATE_LIMIT_BACKEND", "memory", "memory (each instance counts alone) | redis (instances share buckets through REDIS_URL)"),
        ConfigVariable("REDIS_URL", "redis://127.0.0.1:6379", "Redis for RATE_LIMIT_BACKEND=redis: redis://[[user]:password@]host[:port][/db]", secret: true),
        ConfigVariable("REDIS_TIMEOUT", "100ms", "longest wait for Redis before a check falls back to this instance's memory"),
        ConfigVariable("RATE_LIMIT_MAX_KEYS", "100000", "clients tracked at once (memory bound)"),
        ConfigVariable("TRUSTED_PROXIES", "", "CIDRs whose X-Forwarded-For is believed, comma-separated"),
        ConfigVariable("GZIP_MIN_BYTES", "1024", "compress responses at least this large; 0 disables gzip"),
        ConfigVariable("GZIP_LEVEL", "6", "zlib level 1-9"),
        ConfigVariable("ENABLE_TEST_ROUTES", "false", "mount /__test/* diagnostic routes (refused in production)"),
        ConfigVariable("ADMIN_API_TOKEN", "", "bearer token for /admin/* (operators, cron), at least 32 characters; required in production; give it as ADMIN_API_TOKEN_FILE", secret: true),
        ConfigVariable("JOBS_ENABLED", "true", "run scheduled and queued jobs in this instance (one instance runs each scheduled tick)"),
        ConfigVariable("JOB_WORKERS", "2", "threads running queued jobs (reconciliation) in this instance; each has its own database connection"),
        ConfigVariable("JOB_HEARTBEAT_INTERVAL", "5s", "how often running jobs record that their instance is alive"),
        ConfigVariable("JOB_STALE_AFTER", "30s", "a running job without heartbeat this long is re-queued (or failed after its attempts)"),
        ConfigVariable("JOB_POLL_INTERVAL", "1s", "how often idle workers look for queued jobs"),
        ConfigVariable("DATABASE_URL", defaultDatabaseURL, "PostgreSQL URI; the default is the local cluster scripts/run starts (give a password via DATABASE_URL_FILE)", secret: true),
        ConfigVariable("DB_POOL_SIZE", "8", "connections kept open; matches WORKER_THREADS since a request holds at most one"),
        ConfigVariable("DB_POOL_MAX_OVERFLOW", "4", "extra connections under bursts and background jobs, closed when idle"),
        ConfigVariable("DB_POOL_TIMEOUT", "5s", "longest wait for a free connection before 503 DATABASE_UNAVAILABLE"),
        ConfigVariable("DB_POOL_RECYCLE", "1h", "connections older than this are replaced"),
        ConfigVariable("DB_STATEMENT_TIMEOUT", "15s", "server-side statement_timeout (504 TIMEOUT_ERROR when hit)"),
        ConfigVariable("DB_CONNECT_TIMEOUT", "5s", "time allowed to open a connection"),
        ConfigVariable("MIGRATE_ON_START", "true", "serve applies pending migrations first; default false when APP_ENV=production"),
        ConfigVariable("MIGRATIONS_DIR", "migrations", "directory of NNNN_name.sql migration files"),
        ConfigVariable("BACKUP_DIR", "backups", "local directory for backups and refresh exports (created if missing)"),
    ]

    public static func load(from env: Environment) throws -> AppConfig {
        var c = AppConfig()
        let r = ConfigReader(env)
        c.environment = try r.choice("APP_ENV", DeploymentEnvironment.self) ?? .development
        c.server.host = try r.string("HOST") ?? "127.0.0.1"
        c.server.port = try r.int("PORT", 0...65535) ?? 8080
        let threads = try r.int("HTTP_THREADS", 0...256) ?? 0
        if threads > 0 { c.server.eventLoops = threads }
        c.server.workerThreads = try r.int("WORKER_THREADS", 1...1024) ?? 8
        c.server.workerQueueLimit = try r.int("WORKER_QUEUE_LIMIT", 1...1_000_000) ?? 1024
        c.server.streamThreads = try r.int("STREAM_WORKERS", 1...256) ?? 8
        c.streamsPerUser = try r.int("STREAMS_PER_USER", 1...256) ?? 2
        var limits = HTTPLimits()
        limits.maxConnections = try r.int("MAX_CONNECTIONS", 1...1_000_000) ?? limits.maxConnections
        limits.maxBodyBytes = try r.int("MAX_BODY_BYTES", 0...(1 << 34)) ?? limits.maxBodyBytes
        limits.maxRequestLineBytes = try r.int("MAX_REQUEST_LINE_BYTES", 256...(1 << 20)) ?? limits.maxRequestLineBytes
        limits.maxHeaderBytes = try r.int("MAX_HEADER_BYTES", 1024...(1 << 22)) ?? limits.maxHeaderBytes
        limits.maxHeaderCount = try r.int("MAX_HEADER_COUNT", 8...10_000) ?? limits.maxHeaderCount
        limits.headerTimeoutMs = try r.duration("HEADER_TIMEOUT") ?? limits.headerTimeoutMs
        limits.bodyIdleTimeoutMs = try r.duration("BODY_TIMEOUT") ?? limits.bodyIdleTimeoutMs
        limits.keepAliveTimeoutMs = try r.duration("KEEPALIVE_TIMEOUT") ?? limits.keepAliveTimeoutMs
        limits.writeTimeoutMs = try r.duration("WRITE_TIMEOUT") ?? limits.writeTimeoutMs
        limits.requestTimeoutMs = try r.duration("REQUEST_TIMEOUT") ?? limits.requestTimeoutMs
        limits.minBodyBytesPerSecond = try r.int("MIN_BODY_RATE", 0...(1 << 30)) ?? limits.minBodyBytesPerSecond
        limits.bodyMemoryBudgetBytes = try r.int("BODY_MEMORY_BUDGET", (1 << 20)...(1 << 40)) ?? limits.bodyMemoryBudgetBytes
        limits.maxConnectionsPerClient = try r.int("MAX_CONNECTIONS_PER_CLIENT", 0...1_000_000) ?? limits.maxConnectionsPerClient
        c.server.reusePort = try r.bool("REUSE_PORT") ?? false
        c.server.limits = limits
        c.shutdownTimeoutMs = try r.duration("SHUTDOWN_TIMEOUT") ?? c.shutdownTimeoutMs
        c.shutdownDrainDelayMs = try r.duration("SHUTDOWN_DRAIN_DELAY", allowZero: true) ?? 0
        c.logLevel = try r.choice("LOG_LEVEL", Logger.Level.self) ?? .info
        c.logJSON = (try r.oneOf("LOG_FORMAT", ["json", "text"]) ?? "json") == "json"
        c.cors.allowedOrigins = try r.list("CORS_ALLOWED_ORIGINS")
        for origin in c.cors.allowedOrigins where origin != "*" {
            guard CORSConfig.isValidOrigin(origin) else {
                throw ConfigError("CORS_ALLOWED_ORIGINS", "\(origin) is not an origin like https://app.example.com")
            }
        }
        c.cors.allowCredentials = try r.bool("CORS_ALLOW_CREDENTIALS") ?? false
        c.cors.maxAgeSeconds = try r.int("CORS_MAX_AGE", 0...86_400) ?? 600
        c.hstsMaxAge = try r.int("HSTS_MAX_AGE", 0...63_072_000) ?? c.hstsMaxAge
        c.rateLimit.enabled = try r.bool("RATE_LIMIT_ENABLED") ?? true
        let rps = try r.double("RATE_LIMIT_RPS", 0.001...1_000_000) ?? 10
        let burst = try r.int("RATE_LIMIT_BURST", 1...1_000_000) ?? 20
        c.rateLimit.defaultPolicy = RateLimitPolicy(name: "default", pathPrefix: "/", ratePerSecond: rps, burst: burst)
        c.rateLimit.groups = try r.list("RATE_LIMIT_GROUPS").map { try RateLimitPolicy.parse($0, variable: "RATE_LIMIT_GROUPS") }
        c.rateLimit.maxKeys = try r.int("RATE_LIMIT_MAX_KEYS", 100...100_000_000) ?? 100_000
        if (try r.oneOf("RATE_LIMIT_BACKEND", ["memory", "redis"]) ?? "memory") == "redis" {
            let url = try r.string("REDIS_URL") ?? "redis://127.0.0.1:6379"
            guard let endpoint = RedisEndpoint(url: url) else {
                throw ConfigError("REDIS_URL", "must look like redis://[[user]:password@]host[:port][/db]")
            }
            c.rateLimit.redis = endpoint
        }
        c.rateLimit.redisTimeoutMs = try r.duration("REDIS_TIMEOUT") ?? 100
        c.trustedProxies = try r.list("TRUSTED_PROXIES").map { entry in
            guard let cidr = CIDR(entry) else { throw ConfigError("TRUSTED_PROXIES", "\(entry) is not an address or CIDR") }
            return cidr
        }
        c.gzipMinBytes = try r.int("GZIP_MIN_BYTES", 0...(1 << 30)) ?? 1024
        c.gzipLevel = Int32(try r.int("GZIP_LEVEL", 1...9) ?? 6)
        c.enableTestRoutes = try r.bool("ENABLE_TEST_ROUTES") ?? false
        if let token = try r.string("ADMIN_API_TOKEN"), !token.isEmpty {
            guard token.utf8.count >= AdminTokenAuthenticator.minimumLength else {
                throw ConfigError("ADMIN_API_TOKEN", "must be at least \(AdminTokenAuthenticator.minimumLength) characters")
            }
            c.adminAPIToken = token
        }
        let url = try r.string("DATABASE_URL") ?? defaultDatabaseURL
        guard url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") else {
            throw ConfigError("DATABASE_URL", "must start with postgresql://")
        }
        c.database = PostgresConfiguration(url: url)
        c.database.poolSize = try r.int("DB_POOL_SIZE", 1...500) ?? 8
        c.database.maxOverflow = try r.int("DB_POOL_MAX_OVERFLOW", 0...500) ?? 4
        c.database.checkoutTimeoutMs = try r.duration("DB_POOL_TIMEOUT") ?? 5_000
        c.database.recycleAfterMs = try r.duration("DB_POOL_RECYCLE") ?? 3_600_000
        c.database.statementTimeoutMs = try r.duration("DB_STATEMENT_TIMEOUT") ?? 15_000
        c.database.connectTimeoutSeconds = max(1, (try r.duration("DB_CONNECT_TIMEOUT") ?? 5_000) / 1000)
        c.migrateOnStart = try r.bool("MIGRATE_ON_START") ?? (c.environment != .production)
        c.jobs.enabled = try r.bool("JOBS_ENABLED") ?? true
        c.jobs.workers = try r.int("JOB_WORKERS", 0...64) ?? 2
        c.jobs.heartbeatIntervalMs = try r.duration("JOB_HEARTBEAT_INTERVAL") ?? 5_000
        c.jobs.staleAfterMs = try r.duration("JOB_STALE_AFTER") ?? 30_000
        c.jobs.pollIntervalMs = try r.duration("JOB_POLL_INTERVAL") ?? 1_000
        guard c.jobs.staleAfterMs > 2 * c.jobs.heartbeatIntervalMs else {
            throw ConfigError("JOB_STALE_AFTER", "must be more than twice JOB_HEARTBEAT_INTERVAL, or live jobs would be taken for dead")
        }
        c.migrationsDirectory = try r.string("MIGRATIONS_DIR") ?? "migrations"
        c.backupDirectory = try r.string("BACKUP_DIR") ?? "backups"

        if c.environment == .production {
            if c.cors.allowedOrigins.contains("*") {
                throw ConfigError("CORS_ALLOWED_ORIGINS", "* is refused when APP_ENV=production; list the origins")
            }
            if c.enableTestRoutes { throw ConfigError("ENABLE_TEST_ROUTES", "refused when APP_ENV=production") }
            if !c.rateLimit.enabled { throw ConfigError("RATE_LIMIT_ENABLED", "false is refused when APP_ENV=production") }
            if c.adminAPIToken == nil { throw ConfigError("ADMIN_API_TOKEN", "is required when APP_ENV=production") }
            // The default is the local development cluster: a production server without the
            // variable would quietly use whatever listens there.
            if try r.string("DATABASE_URL") == nil { throw ConfigError("DATABASE_URL", "is required when APP_ENV=production (the default is the local development cluster)") }
        }
        if c.cors.allowCredentials && c.cors.allowedOrigins.contains("*") {
            throw ConfigError("CORS_ALLOW_CREDENTIALS", "cannot be true while CORS_ALLOWED_ORIGINS contains *")
        }
        return c
    }
}

/// Typed reads of environment variables; each failure names its variable.
extension DeploymentEnvironment: CaseIterable {}
