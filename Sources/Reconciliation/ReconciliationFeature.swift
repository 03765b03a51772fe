import Foundation
import HTTPServer
import Logging
import Platform
import Postgres

/// Reconciliation: data sources with CSV mappings, streamed uploads, matching jobs on the
/// shared queue, review and export. Project permissions come from the platform's
/// `ProjectAccess` seam (installed by accounts), never from accounts' internals.
public struct ReconciliationFeature: Feature {
    public static var configuration: [ConfigVariable] { ReconciliationConfig.variables }

    public static var statementCatalogs: [any StatementCatalog.Type] {
        [SourceRepository.self, UploadRepository.self, ReconciliationJobRepository.self, MatchRepository.self]
    }

    let services: AppServices
    let config: ReconciliationConfig
    let sources: SourceService
    let uploads: UploadService
    let jobs: ReconciliationJobService
    let review: ReviewService
    let export: ExportService
    let metrics: ReconciliationMetrics

    public init(services: AppServices) throws {
        self.services = services
        config = try ReconciliationConfig.read(services)
        let pool = services.database.pool, access = services.projectAccess
        metrics = ReconciliationMetrics(registry: services.metrics)
        sources = SourceService(pool: pool, access: access)
        uploads = UploadService(pool: pool, access: access, maxBytes: config.uploadMaxBytes, metrics: metrics, logger: services.logger)
        jobs = ReconciliationJobService(pool: pool, access: access, jobs: services.jobs)
        review = ReviewService(pool: pool, access: access, metrics: metrics)
        export = ExportService(pool: pool, access: access)
    }

    public func registerRoutes(_ routes: inout Routes) throws {
        try SourceRoutes.register(&routes, sources: sources, uploads: uploads, uploadMaxBytes: config.uploadMaxBytes)
        try JobRoutes.register(&routes, jobs: jobs)
        try ReviewRoutes.register(&routes, review: review, export: export)
    }

    public func registerJobs(_ jobs: JobRunner) throws {
        jobs.register(QueuedJob(name: ReconciliationJobService.jobName, kind: "reconciliation", timeoutMs: config.jobTimeoutMs,
                                    maxAttempts: config.jobMaxAttempts, body: { [metrics] in try ReconciliationRun.execute($0, metrics: metrics) }))
    }
}
