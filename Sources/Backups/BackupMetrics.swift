import Foundation
import Platform

/// backup_runs_total{outcome}, backup_last_success_timestamp_seconds, backup_duration_seconds, backup_size_bytes.
final class BackupMetrics: Sendable {
    let runs: Counter
    let lastSuccess: Gauge
    let duration: Histogram
    let size: Gauge

    init(registry: MetricsRegistry) {
        runs = registry.counter("backup_runs_total", help: "Backups by outcome.", labels: ["outcome"])
        lastSuccess = registry.gauge("backup_last_success_timestamp_seconds", help: "Unix time of the last successful backup (of any instance, as last read from the database).")
        duration = registry.histogram("backup_duration_seconds", help: "Duration of backups.", buckets: [1, 5, 15, 60, 300, 900, 3600])
        size = registry.gauge("backup_size_bytes", help: "Size of the last successful backup file.")
    }

    func finished(outcome: String, seconds: Double, bytes: Int?) {
        runs.inc([outcome])
        duration.observe(seconds)
        if let bytes {
            size.set(Double(bytes))
            lastSuccess.set(Date().timeIntervalSince1970)
        }
    }
}
