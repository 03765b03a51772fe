/// job_runs_total{job,status}, job_duration_seconds{job}, job_last_success_timestamp_seconds{job},
/// job_queue_depth.
final class JobMetrics: Sendable {
    let runs: Counter
    let duration: Histogram
    let lastSuccess: Gauge
    let queueDepth: Gauge

    init(registry: MetricsRegistry) {
        runs = registry.counter("job_runs_total", help: "Job runs by job and outcome.", labels: ["job", "status"])
        duration = registry.histogram("job_duration_seconds", help: "Duration of job runs.", labels: ["job"],
                                      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600])
        lastSuccess = registry.gauge("job_last_success_timestamp_seconds", help: "Unix time of each job's last successful run.",
                                     labels: ["job"])
        queueDepth = registry.gauge("job_queue_depth", help: "Queued jobs waiting for a worker (all instances).")
    }

    func finished(job: String, status: String, seconds: Double) {
        runs.inc([job, status])
        duration.observe(seconds, [job])
        if status == "succeeded" { lastSuccess.set(Double(JobRunner.wallClockMs()) / 1000, [job]) }
    }
}
