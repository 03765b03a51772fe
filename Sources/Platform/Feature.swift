import Logging
import Postgres

/// A feature module's one seam to the platform. A feature declares its configuration, builds
/// itself from the shared services, and contributes routes, authenticators and readiness
/// checks. Features never reach into each other's internals; the composition root
/// (`AppAssembly`) lists them.
public protocol Feature: Sendable {
    /// The variables this feature reads (documented in .env.example, shown by `apiserver config`).
    static var configuration: [ConfigVariable] { get }

    /// The feature's repositories: every statement they run is PREPAREd against the migrated
    /// schema by the assembly's drift test.
    static var statementCatalogs: [any StatementCatalog.Type] { get }

    /// Builds the feature, reading and validating its configuration from `services.environment`
    /// (invalid values throw `ConfigError`, which stops start-up with exit code 78).
    init(services: AppServices) throws

    /// Registers the feature's routes; each says who may call it.
    func registerRoutes(_ routes: inout Routes) throws

    /// Registers the feature's scheduled and queued jobs.
    func registerJobs(_ jobs: JobRunner) throws

    /// Ways of turning a request's credentials into a principal (accounts: JWT).
    var authenticators: [any Authenticator] { get }

    /// What `/ready` must check for this feature.
    var readinessChecks: [any ReadinessCheck] { get }

    /// Called by `serve` once the server listens and the job runner runs (listeners, warm-up).
    func start() throws

    /// Called by `serve` on shutdown, before the database closes.
    func stop()
}

extension Feature {
    public static var configuration: [ConfigVariable] { [] }
    public static var statementCatalogs: [any StatementCatalog.Type] { [] }
    public func registerJobs(_ jobs: JobRunner) throws {}
    public var authenticators: [any Authenticator] { [] }
    public var readinessChecks: [any ReadinessCheck] { [] }
    public func start() throws {}
    public func stop() {}
}

/// What every feature and every subcommand shares, built once from configuration.
public final class AppServices: Sendable {
    public let config: AppConfig
    /// The raw environment, for features' own sections (`ConfigReader(services.environment)`).
    public let environment: Environment
    public let logger: Logger
    public let metrics: MetricsRegistry
    public let lifecycle: Lifecycle
    public let database: Database
    /// Scheduled and queued jobs, on their own connections.
    public let jobs: JobRunner
    /// Per-client request limits: this instance's memory, or shared through Redis.
    public let rateLimiter: any RateLimiter
    /// Project authorization for features that keep data in projects (installed by accounts).
    public let projectAccess = ProjectAccess()
    /// Whether a login still stands, for what outlives its request (installed by accounts).
    public let sessions = SessionValidity()
    /// Streamed responses open at once (STREAM_WORKERS in all, STREAMS_PER_USER each).
    public let streams: StreamAdmission

    public init(config: AppConfig, environment: Environment, logger: Logger) throws {
        self.config = config
        self.environment = environment
        self.logger = logger
        lifecycle = Lifecycle()
        metrics = MetricsRegistry()
        ProcessMetrics.register(in: metrics, startTime: lifecycle.startTime)
        database = try Database(config: config, metrics: metrics, logger: logger)
        jobs = JobRunner(configuration: config.jobs, database: config.database, metrics: metrics, logger: logger)
        rateLimiter = RateLimiters.make(config: config.rateLimit, logger: logger)
        streams = StreamAdmission(total: config.server.streamThreads, perPrincipal: config.streamsPerUser)
        let streams = self.streams
        metrics.addCollector { text in
            text.header("http_streams_open", help: "Streamed responses (exports) being read, of STREAM_WORKERS.", type: "gauge")
            text.sample("http_streams_open", Double(streams.inUse))
        }
    }
}
