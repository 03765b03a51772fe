import Glibc
import Postgres
import Synchronization
import SystemSupport

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

/// How a request to start a scheduled job now ended.
public enum ScheduledStart: Sendable, Equatable {
    case started(Int64)
    /// Another run holds the job's lock (on any instance); its id when known.
    case busy(runningID: Int64?)
}

extension JobRunner {
    /// Starts a run of a scheduled job now, on its own thread and under the same advisory lock
    /// as its ticks, and returns as soon as the run has its id (admin trigger answering 202).
    /// `payload` reaches the job as `context.payload`.
    public func startRun(_ name: String, payload: String = "{}", trigger: String = "api") throws -> ScheduledStart {
        guard let job = scheduledJobs.first(where: { $0.name == name }) else { throw AppError(.notFound, "No scheduled job \(name)") }
        let handoff = Handoff<ScheduledStart>()
        let hand = handoff.put
        try OSThread.spawn(name: "job-\(name)") { [self] in
            do {
                let outcome = try withJobLock(job.name) { c, started in
                    let id = try pool.transaction(on: c) { tx in try JobRepository.startRun(tx, job: job.name, kind: job.kind, trigger: trigger, worker: instance) }
                    started(id)
                    hand(.success(.started(id)))
                    execute(id: id, job: job.name, payload: payload, timeoutMs: nil, trace: nil, body: job.body)
                }
                if case .busy(let running) = outcome { hand(.success(.busy(runningID: running))) }
            } catch {
                hand(.failure(error))
            }
        }.detach()
        return try handoff.take().get()
    }

    /// Waits until run `id` has finished (or `timeoutMs` passed); returns its record.
    public func waitForFinish(_ id: Int64, timeoutMs: Int) throws -> JobRunRecord? {
        let deadline = MonotonicClock.milliseconds() + Int64(timeoutMs)
        while true {
            let record = try find(id)
            if let r = record, r.status != "running" && r.status != "queued" { return r }
            if MonotonicClock.milliseconds() >= deadline { return record }
            usleep(50_000)
        }
    }
}

/// One result handed from a thread to the thread waiting for it.
final class Handoff<T: Sendable>: @unchecked Sendable {
    private let condition = ConditionLock()
    private var result: Result<T, any Error>?

    /// The first result wins.
    @Sendable func put(_ r: Result<T, any Error>) {
        condition.lock()
        if result == nil { result = r }
        condition.broadcast()
        condition.unlock()
    }

    func take() -> Result<T, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}
