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
        export = ExportService(pool: pool, streamPool: services.database.streamPool, access: access, streams: services.streams)
    }

    public func registerRoutes(_ routes: inout Routes) throws {
        routes.describe(ReconciliationGlossary.terms, examples: ReconciliationGlossary.examples)
        try SourceRoutes.register(&routes, sources: sources, uploads: uploads, uploadMaxBytes: config.uploadMaxBytes)
        try JobRoutes.register(&routes, jobs: jobs)
        try ReviewRoutes.register(&routes, review: review, export: export)
    }

    public func registerJobs(_ jobs: JobRunner) throws {
        jobs.register(QueuedJob(name: ReconciliationJobService.jobName, kind: "reconciliation", timeoutMs: config.jobTimeoutMs,
                                    maxAttempts: config.jobMaxAttempts, body: { [metrics] in try ReconciliationRun.execute($0, metrics: metrics) }))
    }

    /// `apiserver demo`: a ledger and a bank statement in `project` (owned by `owner`), each
    /// uploaded through the same path as the API's, and a queued job matching them (a worker
    /// of `serve` runs it). Returns the job's id.
    public static func seedDemo(services: AppServices, project: String, owner: String, ledgerCSV: [UInt8], bankCSV: [UInt8]) throws -> String {
        let feature = try ReconciliationFeature(services: services)
        try feature.registerJobs(services.jobs)
        guard let projectID = UUID(uuidString: project) else { throw AppError.validation([FieldIssue(field: "project", issue: "must be a UUID")]) }
        let principal = Principal(id: owner, role: "user")
        func audit(_ action: String, _ type: String) -> AuditEntry {
            AuditEntry(userID: UUID(uuidString: owner), action: action, resourceType: type, resourceID: nil, userAgent: "apiserver demo")
        }
        var ledgerSettings = SourceSettings(mapping: .init(id: "id", date: "date", amount: "amount", currency: "currency", reference: "reference",
                                                           description: "description", counterparty: "counterparty"))
        ledgerSettings.options.defaultCurrency = "USD"
        let bankSettings = SourceSettings(mapping: .init(id: "Txn ID", date: "Booking Date", debit: "Debit", credit: "Credit", currency: "Currency",
                                                         reference: "Reference", description: "Details", counterparty: "Counterparty"))
        var sources: [UUID] = []
        for (name, kind, settings, csv) in [("Ledger", "ledger", ledgerSettings, ledgerCSV), ("Bank statement", "bank", bankSettings, bankCSV)] {
            let source = try feature.sources.create(principal, project: projectID, name: name, kind: kind, settings: settings,
                                                    audit: audit("reconciliation.source_created", "data_source"))
            var offset = 0
            let body = UploadBody(read: {
                guard offset < csv.count else { return nil }
                defer { offset += 64 * 1024 }
                return Array(csv[offset..<min(csv.count, offset + 64 * 1024)])
            }, multipart: nil, fileName: "\(kind).csv", contentType: "text/csv")
            _ = try feature.uploads.upload(principal, project: projectID, source: source.id, body: body, replace: false,
                                           audit: audit("reconciliation.upload_created", "uploaded_file"))
            sources.append(source.id)
        }
        let job = try feature.jobs.create(principal, project: projectID, name: "Demo: ledger against bank", left: sources[0], right: sources[1],
                                          threshold: Matcher.defaultThreshold, rules: .defaults,
                                          audit: audit("reconciliation.job_created", "reconciliation_job"), traceParent: nil)
        return job.id.uuidString.lowercased()
    }
}
