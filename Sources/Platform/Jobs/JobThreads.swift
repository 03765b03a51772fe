import Glibc
import Postgres
import SystemSupport

/// The runner's three loops: scheduler, queue workers, heartbeat.
extension JobRunner {
    /// Ticks each scheduled job at its interval (plus jitter). Ticks are aligned to multiples of
    /// the interval since the epoch, so every instance agrees on which tick is which.
    func runScheduler() {
        var next: [String: Int64] = [:]
        while !isStopping {
            let jobs = scheduledJobs
            let now = Self.wallClockMs()
            var sleepMs = 1_000
            // An interval of 0: the job runs only when asked (admin route, CLI).
            for job in jobs where job.intervalMs > 0 {
                let due = next[job.name] ?? Self.nextTick(after: now, intervalMs: job.intervalMs, jitterMs: job.jitterMs)
                if next[job.name] == nil { next[job.name] = due }
                if now >= due {
                    runScheduledTick(job, tickStartMs: due - due % Int64(job.intervalMs))
                    next[job.name] = Self.nextTick(after: Self.wallClockMs(), intervalMs: job.intervalMs, jitterMs: job.jitterMs)
                } else {
                    sleepMs = min(sleepMs, Int(due - now))
                }
            }
            pause(max(10, sleepMs))
        }
    }

    static func nextTick(after nowMs: Int64, intervalMs: Int, jitterMs: Int) -> Int64 {
        let interval = Int64(max(1, intervalMs))
        return (nowMs / interval + 1) * interval + (jitterMs > 0 ? Int64.random(in: 0...Int64(jitterMs)) : 0)
    }

    static func wallClockMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// One tick: on the instance holding the job's advisory lock, unless it ran since the tick
    /// began; failed runs are retried with backoff while the retries fit before the next tick.
    func runScheduledTick(_ job: ScheduledJob, tickStartMs: Int64, trigger: String = "schedule") {
        var attempt = 0
        while !isStopping {
            let result = runLocked(job, tickStartMs: tickStartMs, trigger: trigger)
            guard result == "failed", attempt < job.maxRetries else { return }
            let backoff = job.retryBaseMs << min(attempt, 10)
            let nextTick = tickStartMs + Int64(job.intervalMs)
            guard Self.wallClockMs() + Int64(backoff) < nextTick else { return }
            logger.warning("scheduled job failed; retrying", metadata: ["job": .string(job.name), "retry_in_ms": .stringConvertible(backoff)])
            pause(backoff)
            attempt += 1
        }
    }

    /// Runs the job under its advisory lock; returns the run's status, or nil when another
    /// instance holds the lock or already ran this tick.
    @discardableResult
    func runLocked(_ job: ScheduledJob, tickStartMs: Int64?, trigger: String) -> String? {
        do {
            let outcome = try withJobLock(job.name) { c, started -> String? in
                let id = try pool.transaction(on: c) { tx -> Int64? in
                    if let tickStartMs, try JobRepository.ranSince(tx, job: job.name, sinceMs: tickStartMs) { return nil }
                    return try JobRepository.startRun(tx, job: job.name, kind: job.kind, trigger: trigger, worker: instance)
                }
                guard let id else { return nil }
                started(id)
                execute(id: id, job: job.name, payload: "{}", timeoutMs: nil, trace: nil, body: job.body)
                return try pool.transaction(on: c) { tx in try JobRepository.find(tx, id: id)?.status }
            }
            if case .ran(let status) = outcome { return status }
            return nil
        } catch {
            logger.error("scheduled job could not run", metadata: ["job": .string(job.name), "error": .string(String(reflecting: error))])
            return "failed"
        }
    }

    enum LockOutcome<T> {
        case ran(T)
        /// Another run holds the lock (here or on another instance); its id when known.
        case busy(runningID: Int64?)
    }

    /// Runs `body` holding the scheduled job's advisory lock, on the one connection that holds
    /// it: every statement of the lock's owner goes through that connection, so a trigger never
    /// waits for a second connection of the pool it is holding one of (60 parallel triggers
    /// jammed the job pool that way). A trigger while this instance holds or is taking the lock
    /// is answered from memory without a connection; `started` records the run's id for those
    /// answers.
    func withJobLock<T>(_ name: String, _ body: (PostgresConnection, (Int64) -> Void) throws -> T) throws -> LockOutcome<T> {
        let known: Int64?? = heldLocks.withLock { held in
            if let id = held[name] { return .some(id) }
            held[name] = .some(nil)
            return .none
        }
        if let id = known { return .busy(runningID: id) }
        defer { _ = heldLocks.withLock { $0.removeValue(forKey: name) } }
        return try pool.withConnection { c -> LockOutcome<T> in
            let key = Self.lockKey(name)
            guard try c.query("SELECT pg_try_advisory_lock(\(key)) AS locked").first!.decode("locked", as: Bool.self) else {
                let running = try pool.transaction(on: c) { tx in try JobRepository.list(tx, job: name, status: "running", beforeID: nil, limit: 1).first?.id }
                return .busy(runningID: running)
            }
            defer { _ = try? c.query("SELECT pg_advisory_unlock(\(key))") }
            return .ran(try body(c) { id in self.heldLocks.withLock { $0[name] = .some(id) } })
        }
    }

    /// A stable 63-bit advisory lock key per job name (FNV-1a). Public so a feature can take
    /// the same lock in a transaction (`pg_try_advisory_xact_lock`) to keep out of a run's way.
    public static func lockKey(_ name: String) -> Int { Int(FNV1a.hash("job:\(name)") >> 1) }

    /// Claims and runs queued jobs until stopped; idles on the runner's signal between polls.
    func runWorker() {
        while !isStopping {
            let kinds = queuedJobs
            guard !kinds.isEmpty else {
                pause(configuration.pollIntervalMs)
                continue
            }
            do {
                let claimed = try pool.transaction { tx in try JobRepository.claim(tx, jobs: Array(kinds.keys), worker: instance) }
                guard let claimed, let job = kinds[claimed.job] else {
                    pause(configuration.pollIntervalMs)
                    continue
                }
                execute(id: claimed.id, job: claimed.job, payload: claimed.payload, timeoutMs: claimed.timeoutMs ?? job.timeoutMs,
                        trace: claimed.traceParent, body: job.body)
            } catch {
                logger.error("job queue unavailable", metadata: ["error": .string(String(reflecting: error))])
                pause(configuration.pollIntervalMs * 5)
            }
        }
    }

    /// Cancellations and timeouts every half second; heartbeats, recovery of dead instances'
    /// jobs and the queue depth gauge every heartbeat interval.
    func runHeartbeat() {
        var lastBeat: Int64 = 0
        while !isStopping {
            let now = MonotonicClock.milliseconds()
            let running = runningContexts
            for (_, context) in running {
                if let d = context.deadlineMs, now >= d { context.cancel(reason: "timed out after \(context.timeoutMs ?? 0) ms") }
            }
            let beat = now - lastBeat >= Int64(configuration.heartbeatIntervalMs)
            do {
                try pool.withConnection { c in
                    for id in try JobRepository.heartbeatOrCheck(c, ids: running.keys.map { Int($0) }, beat: beat) {
                        running[id]?.cancel(reason: "cancelled by request")
                    }
                    if beat {
                        let recovered = try JobRepository.recoverStale(c, staleMs: configuration.staleAfterMs)
                        if recovered > 0 { logger.warning("recovered jobs of a stopped instance", metadata: ["jobs": .stringConvertible(recovered)]) }
                        metrics.queueDepth.set(Double(try JobRepository.queueDepth(c)))
                    }
                }
                if beat { lastBeat = now }
            } catch {
                logger.error("job heartbeat failed", metadata: ["error": .string(String(reflecting: error))])
            }
            pause(configuration.cancelCheckIntervalMs)
        }
    }
}
