/// What the job-run and operational properties mean (the OpenAPI document's descriptions).
enum JobsGlossary {
    static let terms: [String: String] = [
        "job": "the job's name (refresh, backup, reconciliation, ...)",
        "trigger": "what started the run: schedule, api, cli, start or recovery",
        "attempts": "times the run has been tried",
        "max_attempts": "times it may be tried before it fails for good",
        "queued_at": "when the run was queued",
        "duration_ms": "how long the run took, in milliseconds",
        "cancel_requested": "true once a cancellation was asked for (the run stops at its next check)",
        "service": "the service's name",
        "environment": "APP_ENV: development, test or production",
        "uptime_seconds": "seconds since the process started",
    ]
}
