import Testing
import Foundation
import Synchronization
@testable import Platform
import Postgres
import Logging

/// The job runner against the real PostgreSQL the test script started.
@Suite struct JobRunnerTests {
    /// The schema the runner needs, applied once per test process (tests run in parallel, and
    /// a fresh database has no tables until some migrator ran).
    static let migrated: Result<Void, any Error> = Result {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { throw TestSkipped() }
        let pool = ConnectionPool(configuration: PostgresConfiguration(url: url))
        defer { pool.shutdown() }
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("migrations").path
        try Migrator(pool: pool, migrations: try Migration.load(directory: dir)).migrate()
    }

    static func runner(workers: Int = 2) throws -> JobRunner {
        try migrated.get()
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { throw TestSkipped() }
        var config = JobRunner.Configuration()
        config.workers = workers
        config.pollIntervalMs = 100
        config.heartbeatIntervalMs = 200
        config.staleAfterMs = 1_000
        config.cancelCheckIntervalMs = 100
        var logger = Logger(label: "jobs-test")
        logger.logLevel = .critical
        return JobRunner(configuration: config, database: PostgresConfiguration(url: url), metrics: MetricsRegistry(), logger: logger)
    }

    struct TestSkipped: Error {}

    static func name(_ prefix: String) -> String { "t_\(prefix)_\(UUID().uuidString.prefix(8).lowercased())" }

    /// Polls until `condition` holds or `seconds` pass.
    static func waitFor(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }

    struct Stats: Encodable { let rows: Int }

    @Test func queuedJobRunsRecordsProgressStatsAndAudit() throws {
        let runner = try Self.runner()
        let job = Self.name("echo")
        runner.register(QueuedJob(name: job) { context in
            context.progress(50, "half way")
            return try JobOutcome(stats: Stats(rows: context.payload.count), changedData: true)
        })
        try runner.start()
        defer { runner.stop(timeoutMs: 5_000) }
        let trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        let id = try runner.enqueue(job, payload: "{\"n\": 1}", traceParent: trace)
        #expect(try Self.waitFor(5) { try runner.find(id)?.status == "succeeded" })
        let record = try #require(try runner.find(id))
        #expect(record.progress == 100 && record.attempts == 1 && record.durationMs != nil && record.trigger == "api")
        #expect(record.stats.contains("\"rows\""))
        let audits = try runner.pool.withConnection {
            try $0.query("SELECT count(*)::int AS n FROM audit_logs WHERE resource_type = 'job_run' AND resource_id = \(String(id))").first!
                .decode("n", as: Int.self)
        }
        #expect(audits == 1, "a run that changed data is audited once")
        #expect(runner.metrics.runs.value([job, "succeeded"]) == 1)
        let stored = try runner.pool.withConnection {
            try $0.query("SELECT trace_parent FROM job_runs WHERE id = \(Int(id))").first!.decode("trace_parent", as: String?.self)
        }
        #expect(stored == trace, "the run keeps the trace of the request that queued it")
    }

    @Test func cancellationFromAnotherInstanceIsHonouredWithinASecond() throws {
        let worker = try Self.runner()
        let other = try Self.runner(workers: 0)
        let job = Self.name("loop")
        worker.register(QueuedJob(name: job) { context in
            while true {
                try context.checkCancelled()
                usleep(20_000)
            }
        })
        try worker.start()
        defer { worker.stop(timeoutMs: 5_000) }
        let id = try worker.enqueue(job)
        #expect(try Self.waitFor(5) { try worker.find(id)?.status == "running" })
        let asked = Date()
        let record = try other.cancel(id)
        #expect(record?.cancelRequested == true)
        #expect(try Self.waitFor(3) { try worker.find(id)?.status == "cancelled" })
        #expect(Date().timeIntervalSince(asked) < 1.5)
        // A job still queued is cancelled at once (this instance has no workers to run it).
        let idle = Self.name("idle")
        other.register(QueuedJob(name: idle) { _ in .nothing })
        let queued = try other.enqueue(idle)
        #expect(try other.cancel(queued)?.status == "cancelled")
        #expect(try other.cancel(queued)?.cancelRequested == true, "cancelling twice changes nothing")
    }

    @Test func jobPastItsTimeoutFails() throws {
        let runner = try Self.runner()
        let job = Self.name("slow")
        runner.register(QueuedJob(name: job, timeoutMs: 300) { context in
            while true {
                try context.checkCancelled()
                usleep(20_000)
            }
        })
        try runner.start()
        defer { runner.stop(timeoutMs: 5_000) }
        let id = try runner.enqueue(job)
        #expect(try Self.waitFor(5) { try runner.find(id)?.status == "failed" })
        #expect(try runner.find(id)?.error?.contains("timed out") == true)
    }

    @Test func jobsOfADeadInstanceAreRecoveredThenGivenUp() throws {
        let runner = try Self.runner()
        let job = Self.name("orphan")
        let ran = Mutex(0)
        runner.register(QueuedJob(name: job, maxAttempts: 2) { _ in
            ran.withLock { $0 += 1 }
            return .nothing
        })
        // Two rows "running" on an instance that stopped beating: one with an attempt left,
        // one without.
        let (again, spent) = try runner.pool.withConnection { c -> (Int, Int) in
            func insert(_ attempts: Int) throws -> Int {
                try c.query("""
                    INSERT INTO job_runs (job, trigger, status, started_at, heartbeat_at, worker, attempts, max_attempts)
                    VALUES (\(job), 'api', 'running', now() - interval '1 hour', now() - interval '1 hour', 'dead:1', \(attempts), 2)
                    RETURNING id
                    """).first!.decode("id", as: Int.self)
            }
            return (try insert(1), try insert(2))
        }
        try runner.start()
        defer { runner.stop(timeoutMs: 5_000) }
        #expect(try Self.waitFor(5) { try runner.find(Int64(again))?.status == "succeeded" })
        #expect(try runner.find(Int64(again))?.attempts == 2)
        #expect(try Self.waitFor(5) { try runner.find(Int64(spent))?.status == "failed" })
        #expect(try runner.find(Int64(spent))?.error?.contains("stopped") == true)
        #expect(ran.withLock { $0 } == 1)
    }

    @Test func twoInstancesSharingTheQueueRunEachJobOnce() throws {
        let a = try Self.runner(), b = try Self.runner()
        let job = Self.name("shared")
        let runs = Mutex<[Int64: Int]>([:])
        for r in [a, b] {
            r.register(QueuedJob(name: job) { context in
                runs.withLock { $0[context.runID, default: 0] += 1 }
                usleep(10_000)
                return .nothing
            })
        }
        let ids = try (0..<30).map { _ in try a.enqueue(job) }
        try a.start()
        try b.start()
        defer {
            a.stop(timeoutMs: 5_000)
            b.stop(timeoutMs: 5_000)
        }
        #expect(try Self.waitFor(10) { try ids.allSatisfy { try a.find($0)?.status == "succeeded" } })
        #expect(runs.withLock { $0 }.count == 30 && runs.withLock { $0 }.values.allSatisfy { $0 == 1 }, "no job ran twice")
    }

    @Test func scheduledJobRunsOncePerTickAcrossInstancesAndRetriesFailures() throws {
        let a = try Self.runner(workers: 0), b = try Self.runner(workers: 0)
        let job = Self.name("tick")
        let calls = Mutex(0)
        for r in [a, b] {
            r.schedule(ScheduledJob(name: job, intervalMs: 1_000, maxRetries: 2, retryBaseMs: 100) { _ in
                let n = calls.withLock { c -> Int in
                    c += 1
                    return c
                }
                // The very first run fails: it must be retried within its tick.
                if n == 1 { throw NSError(domain: "test", code: 1) }
                return .nothing
            })
        }
        try a.start()
        try b.start()
        usleep(3_600_000)
        a.stop(timeoutMs: 5_000)
        b.stop(timeoutMs: 5_000)
        let all = try Self.runner(workers: 0).list(job: job, limit: 50)
        let succeeded = all.filter { $0.status == "succeeded" }
        let failed = all.filter { $0.status == "failed" }
        let trail = "\(all.map { "\($0.status)@\($0.startedAt ?? "")" })"
        #expect(failed.count == 1 && succeeded.count >= 2 && succeeded.count <= 4, "\(trail)")
        // One success per tick (ticks are whole seconds): never two in the same second.
        let seconds = succeeded.compactMap { $0.startedAt?.prefix(19) }
        #expect(Set(seconds).count == seconds.count, "\(trail)")
        // The failed run was retried within its own tick.
        #expect(failed.first.map { f in seconds.contains(f.startedAt?.prefix(19) ?? "") } == true, "\(trail)")
    }
}
