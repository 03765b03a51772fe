import FoundationEssentials
import Logging
import Postgres
import SystemSupport
import Synchronization

/// A job run at an interval on one instance at a time (price refresh, backups, retention).
public struct ScheduledJob: Sendable {
    public let name: String
    /// The broad category stored in job_runs.kind.
    public let kind: String
    /// 0: never on a timer, only when started (admin route, CLI).
    public let intervalMs: Int
    /// A random delay up to this much is added to each tick, so instances do not all wake at once.
    public let jitterMs: Int
    /// A failed run is retried this many times, with exponential backoff from `retryBaseMs`,
    /// as long as the retries fit before the next tick.
    public let maxRetries: Int
    public let retryBaseMs: Int
    public let body: @Sendable (JobContext) throws -> JobOutcome

    public init(name: String, kind: String = "other", intervalMs: Int, jitterMs: Int = 0, maxRetries: Int = 3,
                retryBaseMs: Int = 30_000, body: @escaping @Sendable (JobContext) throws -> JobOutcome) {
        self.name = name
        self.kind = kind
        self.intervalMs = intervalMs
        self.jitterMs = jitterMs
        self.maxRetries = maxRetries
        self.retryBaseMs = retryBaseMs
        self.body = body
    }
}

/// A kind of job put on the shared queue (reconciliation runs), executed by whichever instance
/// claims it.
public struct QueuedJob: Sendable {
    public let name: String
    public let kind: String
    /// Past this the job is cancelled and recorded as failed (timeout).
    public let timeoutMs: Int
    /// Attempts before a job whose instance keeps dying is given up as failed.
    public let maxAttempts: Int
    public let body: @Sendable (JobContext) throws -> JobOutcome

    public init(name: String, kind: String = "other", timeoutMs: Int = 3_600_000, maxAttempts: Int = 3,
                body: @escaping @Sendable (JobContext) throws -> JobOutcome) {
        self.name = name
        self.kind = kind
        self.timeoutMs = timeoutMs
        self.maxAttempts = maxAttempts
        self.body = body
    }
}

/// What a run reports: its statistics (stored as JSON) and whether it changed data (then an
/// audit row records the run).
public struct JobOutcome: Sendable {
    public let statsJSON: String
    public let changedData: Bool

    public init(stats: some Encodable, changedData: Bool = false) throws {
        statsJSON = String(decoding: try JSONEncoder().encode(stats), as: UTF8.self)
        self.changedData = changedData
    }

    public static let nothing = JobOutcome(json: "{}", changedData: false)

    init(json: String, changedData: Bool) {
        statsJSON = json
        self.changedData = changedData
    }
}

/// Thrown by `JobContext.checkCancelled()` once the run was cancelled or timed out.
public struct JobCancelled: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "job cancelled: \(reason)" }
}

/// What a running job may use: its run id and payload, its own database pool (never the
/// request handlers'), progress reporting, and cooperative cancellation. The cancellation
/// token is also the thread's current one, so a database statement of the job is interrupted
/// when the job is cancelled.
public final class JobContext: Sendable {
    public let runID: Int64
    public let job: String
    /// The payload the job was queued with (JSON text), "{}" for scheduled runs.
    public let payload: String
    public let pool: ConnectionPool
    public let logger: Logger
    public let token: CancellationToken
    let cancelReason: Mutex<String>
    /// When the run times out (monotonic ms), checked by the runner's heartbeat thread: set
    /// before the context is published to that thread, and never changed.
    let deadlineMs: Int64?
    let timeoutMs: Int?
    private let reportProgress: @Sendable (Int, String?) -> Void

    init(runID: Int64, job: String, payload: String, pool: ConnectionPool, logger: Logger, token: CancellationToken,
         deadlineMs: Int64? = nil, timeoutMs: Int? = nil, reportProgress: @escaping @Sendable (Int, String?) -> Void) {
        self.runID = runID
        self.deadlineMs = deadlineMs
        self.timeoutMs = timeoutMs
        self.job = job
        self.payload = payload
        self.pool = pool
        self.logger = logger
        self.token = token
        self.cancelReason = Mutex("cancelled")
        self.reportProgress = reportProgress
    }

    /// Records progress (0-100) and a short message; cheap to call often (writes are throttled).
    public func progress(_ percent: Int, _ message: String? = nil) { reportProgress(max(0, min(100, percent)), message) }

    /// Throws `JobCancelled` once the run was cancelled (operator, timeout, shutdown).
    public func checkCancelled() throws {
        if token.isCancelled { throw JobCancelled(reason: cancelReason.withLock { $0 }) }
    }

    func cancel(reason: String) {
        cancelReason.withLock { $0 = reason }
        token.cancel()
    }
}
