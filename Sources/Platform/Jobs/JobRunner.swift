import Glibc
import Logging
import Postgres
import Synchronization
import SystemSupport

/// Runs scheduled and queued jobs on their own database connections (a small pool of their
/// own, so jobs never starve request handlers) and threads:
/// - one scheduler thread: each scheduled job ticks at its interval plus jitter; a tick runs
///   only on the instance that takes the job's advisory lock, and only if no instance ran it
///   since the tick began; a failed run is retried with exponential backoff before the next tick;
/// - `workers` threads claiming queued jobs with FOR UPDATE SKIP LOCKED (several instances
///   share the queue), with a per-job timeout;
/// - one heartbeat thread: refreshes the heartbeat of the jobs running here, delivers
///   cancellations (within half a second), and returns jobs of dead instances to the queue.
/// Every run is a job_runs row; a run that changed data also writes an audit row.
public final class JobRunner: Sendable {
    public struct Configuration: Sendable {
        public var enabled = true
        public var workers = 2
        public var pollIntervalMs = 1_000
        public var heartbeatIntervalMs = 5_000
        public var staleAfterMs = 30_000
        public var cancelCheckIntervalMs = 500
        public init() {}
    }

    let configuration: Configuration
    public let pool: ConnectionPool
    let logger: Logger
    let metrics: JobMetrics
    /// Names this instance in job_runs.worker.
    let instance: String
    private let state = Mutex(State())
    let signal = ConditionLock()
    /// Scheduled jobs whose advisory lock this instance holds or is taking, with the run's id
    /// once it has one: a second trigger here is answered from memory, without a connection.
    let heldLocks = Mutex<[String: Int64?]>([:])

    struct State {
        var scheduled: [ScheduledJob] = []
        var queued: [String: QueuedJob] = [:]
        var threads: [OSThread] = []
        var running: [Int64: JobContext] = [:]
        var started = false
        var stopping = false
    }

    public init(configuration: Configuration, database: PostgresConfiguration, metrics: MetricsRegistry, logger: Logger) {
        self.configuration = configuration
        var jobDatabase = database
        // Workers, the scheduler (its lock and its run), the heartbeat, and the jobs' own statements.
        jobDatabase.poolSize = configuration.workers + 4
        jobDatabase.maxOverflow = 0
        jobDatabase.applicationName = "apiserver-jobs"
        jobDatabase.statementTimeoutMs = 0
        pool = ConnectionPool(configuration: jobDatabase)
        self.logger = logger
        self.metrics = JobMetrics(registry: metrics)
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        instance = "\(String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)):\(getpid())"
    }

    // MARK: - Registration

    public func schedule(_ job: ScheduledJob) { state.withLock { $0.scheduled.append(job) } }

    public func register(_ job: QueuedJob) { state.withLock { $0.queued[job.name] = job } }

    var scheduledJobs: [ScheduledJob] { state.withLock { $0.scheduled } }
    var queuedJobs: [String: QueuedJob] { state.withLock { $0.queued } }
    var isStopping: Bool { state.withLock { $0.stopping } }

    // MARK: - Lifecycle

    /// Starts the threads (nothing when disabled in configuration).
    public func start() throws {
        guard configuration.enabled else { return }
        let first = state.withLock { s -> Bool in
            defer { s.started = true }
            return !s.started
        }
        guard first else { return }
        var threads: [OSThread] = []
        threads.append(try OSThread.spawn(name: "job-scheduler") { [self] in runScheduler() })
        for i in 0..<max(0, configuration.workers) {
            threads.append(try OSThread.spawn(name: "job-worker-\(i)") { [self] in runWorker() })
        }
        threads.append(try OSThread.spawn(name: "job-heartbeat") { [self] in runHeartbeat() })
        state.withLock { $0.threads = threads }
    }

    /// Asks running jobs to stop and waits for them up to `timeoutMs`; returns whether all
    /// threads ended in time.
    @discardableResult
    public func stop(timeoutMs: Int) -> Bool {
        let (threads, running) = state.withLock { s -> ([OSThread], [JobContext]) in
            s.stopping = true
            return (s.threads, Array(s.running.values))
        }
        for context in running { context.cancel(reason: "shutting down") }
        signal.lock()
        signal.broadcast()
        signal.unlock()
        let deadline = MonotonicClock.milliseconds() + Int64(timeoutMs)
        while state.withLock({ !$0.running.isEmpty }) && MonotonicClock.milliseconds() < deadline { usleep(10_000) }
        let drained = state.withLock { $0.running.isEmpty }
        if drained { for t in threads { t.join() } }
        pool.shutdown()
        return drained
    }

    /// Waits on the runner's signal until `ms` passed or `stop` was called.
    func pause(_ ms: Int) {
        signal.lock()
        if !isStopping { _ = signal.wait(untilMilliseconds: MonotonicClock.milliseconds() + Int64(ms)) }
        signal.unlock()
    }

    /// Wakes idle workers (a job was queued here).
    func wakeWorkers() {
        signal.lock()
        signal.broadcast()
        signal.unlock()
    }

    // MARK: - Running one job

    /// Runs `body` as run `id`, recording its outcome, metrics and audit row.
    func execute(id: Int64, job: String, payload: String, timeoutMs: Int?, trace: String?,
                 body: @Sendable (JobContext) throws -> JobOutcome) {
        var log = logger
        log[metadataKey: "job"] = .string(job)
        log[metadataKey: "run_id"] = .stringConvertible(id)
        if let trace { log[metadataKey: "traceparent"] = .string(trace) }
        let token = CancellationToken()
        // (time, message) of the last write: frequent updates are thinned to one per 250 ms, but
        // a new stage (message) or completion is always recorded.
        let throttle = Mutex<(Int64, String?)>((0, nil))
        let pool = self.pool
        let start = MonotonicClock.milliseconds()
        // The heartbeat thread cancels the run once its deadline passes; the deadline is part of
        // the context before the context is published to that thread.
        let context = JobContext(runID: id, job: job, payload: payload, pool: pool, logger: log, token: token,
                                 deadlineMs: timeoutMs.map { start + Int64($0) }, timeoutMs: timeoutMs) { percent, message in
            let now = MonotonicClock.milliseconds()
            let due = throttle.withLock { last -> Bool in
                guard now - last.0 >= 250 || percent == 100 || message != last.1 else { return false }
                last = (now, message)
                return true
            }
            if due { try? pool.withConnection { try JobRepository.progress($0, id: id, percent: percent, message: message) } }
        }
        state.withLock { $0.running[id] = context }
        defer { state.withLock { _ = $0.running.removeValue(forKey: id) } }
        log.info("job started")
        var status = "succeeded"
        var outcome = JobOutcome.nothing
        var failure: String?
        do {
            outcome = try CancellationToken.withCurrent(token) { try body(context) }
            if token.isCancelled { throw JobCancelled(reason: context.cancelReason.withLock { $0 }) }
        } catch let e as JobCancelled {
            status = e.reason.hasPrefix("timed out") ? "failed" : "cancelled"
            failure = e.reason
        } catch {
            status = token.isCancelled ? (context.cancelReason.withLock { $0 }.hasPrefix("timed out") ? "failed" : "cancelled") : "failed"
            failure = token.isCancelled ? context.cancelReason.withLock { $0 } : String(describing: error)
        }
        let duration = Int(MonotonicClock.milliseconds() - start)
        do {
            try pool.transaction { tx in
                try JobRepository.finish(tx, id: id, status: status, statsJSON: outcome.statsJSON, error: failure, durationMs: duration)
                if status == "succeeded" && outcome.changedData { try JobRepository.audit(tx, id: id, job: job, statsJSON: outcome.statsJSON) }
            }
        } catch {
            log.error("cannot record the job's outcome", metadata: ["error": .string(String(reflecting: error))])
        }
        metrics.finished(job: job, status: status, seconds: Double(duration) / 1000)
        if status == "succeeded" {
            log.info("job succeeded", metadata: ["duration_ms": .stringConvertible(duration), "stats": .string(outcome.statsJSON)])
        } else if status == "cancelled" {
            // Someone asked for it: worth a line, not an operator's attention.
            log.notice("job cancelled", metadata: ["duration_ms": .stringConvertible(duration), "reason": .string(failure ?? "")])
        } else {
            log.error("job \(status)", metadata: ["duration_ms": .stringConvertible(duration), "error": .string(failure ?? "")])
        }
    }

    var runningContexts: [Int64: JobContext] { state.withLock { $0.running } }
}
