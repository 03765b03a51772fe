import Platform

/// Reconciliation's metrics: uploads by outcome with their rows and bytes, jobs by outcome
/// with each phase's duration, matches proposed by type, review decisions.
final class ReconciliationMetrics: Sendable {
    let uploads: Counter
    let uploadRows: Counter
    let uploadBytes: Counter
    let uploadSeconds: Histogram
    let jobs: Counter
    let jobPhaseSeconds: Histogram
    let matches: Counter
    let decisions: Counter

    init(registry: MetricsRegistry) {
        uploads = registry.counter("reconciliation_uploads_total", help: "CSV uploads by outcome (stored, invalid, duplicate, failed).", labels: ["outcome"])
        uploadRows = registry.counter("reconciliation_upload_rows_total", help: "Records stored by uploads.")
        uploadBytes = registry.counter("reconciliation_upload_bytes_total", help: "File bytes of stored uploads.")
        uploadSeconds = registry.histogram("reconciliation_upload_duration_seconds", help: "Time to read, check and store an upload.",
                                           buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300])
        jobs = registry.counter("reconciliation_jobs_total", help: "Reconciliation job runs by outcome (completed, failed, cancelled).", labels: ["outcome"])
        jobPhaseSeconds = registry.histogram("reconciliation_job_phase_duration_seconds", help: "Time of each phase of a job (load, match, store).",
                                             labels: ["phase"], buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300])
        matches = registry.counter("reconciliation_matches_proposed_total", help: "Matches proposed by jobs, by type.", labels: ["type"])
        decisions = registry.counter("reconciliation_review_decisions_total", help: "Review decisions by status (confirmed, rejected, proposed, manual).", labels: ["status"])
    }
}
