import Foundation
import HTTPServer
import Logging
import Platform
import Postgres
import SystemSupport

/// Backups: encrypted scheduled backups, off-site copies, retention, verified restore.
public struct BackupsFeature: Feature {
    public static let job = "backup"
    public static var configuration: [ConfigVariable] { BackupsConfig.variables }
    public static var statementCatalogs: [any StatementCatalog.Type] { [BackupRepository.self, SchemaCatalog.self] }

    let services: AppServices
    let config: BackupsConfig
    let service: BackupService
    let metrics: BackupMetrics

    public init(services: AppServices) throws {
        self.services = services
        config = try BackupsConfig.read(services)
        metrics = BackupMetrics(registry: services.metrics)
        service = try BackupService(config: config, metrics: metrics)
    }

    public func registerJobs(_ jobs: JobRunner) throws {
        let service = self.service
        let scheduled = config.enabled && config.key != nil
        if config.enabled && config.key == nil {
            services.logger.warning("backups are not scheduled: BACKUP_ENCRYPTION_KEY is not set")
        }
        jobs.schedule(ScheduledJob(name: Self.job, kind: "backup", intervalMs: scheduled ? config.intervalMs : 0, maxRetries: 2,
                                   retryBaseMs: 60_000) { context in
            let manual = context.payload.contains("\"manual\"")
            let stats = try service.run(pool: context.pool, retentionClass: manual ? "manual" : "daily", logger: context.logger) { step in
                context.progress(50, step)
            }
            return try JobOutcome(stats: stats, changedData: false)
        })
    }

    public func registerRoutes(_ routes: inout Routes) throws {
        routes.describe(BackupsGlossary.terms)
        let service = self.service, pool = services.database.pool, jobs = services.jobs
        let record = Schema.object([("id", .string(format: "uuid")), ("status", .string(enumValues: ["running", "succeeded", "failed", "expired"])),
                                    ("started_at", .dateTime), ("finished_at", .nullable(.dateTime)), ("location", .nullable(.text)),
                                    ("size_bytes", .nullable(.integer(minimum: 0))), ("sha256", .nullable(.text)), ("retention_class", .text),
                                    ("error", .nullable(.text))], required: ["id", "status", "started_at", "retention_class"])
        try routes.get("/admin/backups", RouteOptions(access: .admin, doc: RouteDoc(
            "Backups, newest first: status, location (local or s3://), size, digest", tag: "backups", data: .array(record)))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly([])
            try q.validate()
            return try context.success(try service.list(pool: pool))
        }
        try routes.post("/admin/backups", RouteOptions(access: .admin, doc: RouteDoc(
            "Take a backup now: 202 with the job run id (GET /admin/jobs/:id follows it); 409 while one runs", tag: "backups", status: 202,
            data: .object([("run_id", .integer(minimum: 1))], required: ["run_id"])))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly([])
            try q.validate()
            guard config.key != nil else { throw BackupsConfig.missingKey }
            switch try jobs.startRun(Self.job, payload: #"{"trigger":"manual"}"#, trigger: "api") {
            case .started(let id): return try context.success(["run_id": id], status: .accepted)
            case .busy(let id):
                throw AppError(.conflict, "A backup is already running" + (id.map { " (run \($0))" } ?? ""))
            }
        }
    }

    public func start() throws {
        // Every instance shows when the last backup (of any instance) succeeded, for the alert;
        // on the jobs' pool, never a request's connection.
        let pool = services.jobs.pool, metrics = self.metrics
        Background.detached(name: "backup-gauge") {
            while true {
                let latest: Double?? = try? pool.withConnection { c in
                    try c.query(BackupRepository.lastSuccess).first?.decode("t", as: Double?.self)
                }
                if let t = latest ?? nil { metrics.lastSuccess.set(t) }
                sleep(60)
            }
        }
    }

    // MARK: Command line

    /// The service and the pool the command line uses: the jobs' (no statement timeout: a
    /// COPY of a large table takes as long as it takes).
    public static func service(_ services: AppServices) throws -> (BackupService, ConnectionPool) {
        let f = try BackupsFeature(services: services)
        return (f.service, services.jobs.pool)
    }
}

extension BackupService {
    /// For the CLI: run, list, prune, verify, restore on the given pool.
    public func runNow(pool: ConnectionPool, logger: Logger) throws -> RunStats { try run(pool: pool, retentionClass: "manual", logger: logger) }
    public func records(pool: ConnectionPool) throws -> [(id: String, status: String, startedAt: String, location: String?, size: Int?)] {
        try list(pool: pool).map { ($0.id, $0.status, $0.startedAt, $0.location, $0.sizeBytes) }
    }
    public func pruneNow(pool: ConnectionPool, dryRun: Bool, logger: Logger) throws -> [String] { try prune(pool: pool, dryRun: dryRun, logger: logger) }
    public func restoreNow(_ source: String, pool: ConnectionPool, migrations: [Migration], replace: Bool, migrate: Bool,
                           log: (String) -> Void) throws -> (tables: Int, rows: Int, migratedTo: Int?) {
        let o = try restore(source, pool: pool, migrations: migrations, replace: replace, migrate: migrate, log: log)
        return (o.manifest.tables.count, o.manifest.tables.reduce(0) { $0 + $1.rows }, o.migratedTo)
    }

    /// Whether a file is a backup (rather than a refresh export): its magic bytes, or s3://.
    public static func isBackup(_ source: String) -> Bool {
        if source.hasPrefix("s3://") { return true }
        guard let h = FileHandle(forReadingAtPath: source) else { return false }
        defer { try? h.close() }
        return Array(h.readData(ofLength: 8)) == EncryptedStream.magic
    }
}
