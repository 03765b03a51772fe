import Postgres

/// What features, routes and commands ask of the job runner.
extension JobRunner {
    /// Queues a run of a registered queued job; returns its id. Any instance's worker may run it.
    /// Pass the request's `context.trace.traceparent` so the run's log lines join its trace.
    @discardableResult
    public func enqueue(_ name: String, payload: String = "{}", trigger: String = "api", traceParent: String? = nil) throws -> Int64 {
        guard let job = queuedJobs[name] else { throw AppError(.validationError, "Unknown job \(name)") }
        let id = try pool.transaction { tx in
            try JobRepository.enqueue(tx, job: name, kind: job.kind, trigger: trigger, payload: payload, maxAttempts: job.maxAttempts,
                                      timeoutMs: job.timeoutMs, traceParent: traceParent)
        }
        wakeWorkers()
        return id
    }

    /// Runs a scheduled job now on this thread (admin trigger, CLI), under the same lock as its
    /// ticks; nil when another instance is running it.
    public func runNow(_ name: String, trigger: String = "manual") throws -> JobRunRecord? {
        guard let job = scheduledJobs.first(where: { $0.name == name }) else { throw AppError(.notFound, "No scheduled job \(name)") }
        guard runLocked(job, tickStartMs: nil, trigger: trigger) != nil else { return nil }
        return try pool.transaction { tx in try JobRepository.list(tx, job: name, status: nil, beforeID: nil, limit: 1).first }
    }

    /// Cancels a queued or running job (a running one stops within a second); nil if unknown.
    public func cancel(_ id: Int64) throws -> JobRunRecord? {
        let record = try pool.transaction { tx in try JobRepository.requestCancel(tx, id: id) }
        if let running = runningContexts[id] { running.cancel(reason: "cancelled by request") }
        return record
    }

    public func find(_ id: Int64) throws -> JobRunRecord? {
        try pool.transaction { tx in try JobRepository.find(tx, id: id) }
    }

    /// Newest first; `beforeID` is the keyset cursor.
    public func list(job: String? = nil, status: String? = nil, beforeID: Int64? = nil, limit: Int = 50) throws -> [JobRunRecord] {
        try pool.transaction { tx in try JobRepository.list(tx, job: job, status: status, beforeID: beforeID, limit: limit) }
    }
}
