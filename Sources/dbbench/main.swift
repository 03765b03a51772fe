// Database benchmarks for scripts/bench-db (not part of the product).
//   dbbench select   WORKERS SECONDS   point selects on pgbench_accounts through the pool
//   dbbench checkout ITERATIONS        cost of an empty withConnection {}
//   dbbench copy     ROWS              COPY price rows into the migrated prices table
//   dbbench jobs     RUNS              overhead of the job runner: a no-op scheduled run (lock,
//                                      tick check, job_runs row, outcome) and a queued no-op run
import Dispatch
import Glibc
import Postgres
import Platform
import Logging
import Synchronization

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func fail(_ message: String) -> Never {
    var bytes = Array((message + "\n").utf8)
    _ = write(2, &bytes, bytes.count)
    exit(2)
}

guard let url = getenv("DATABASE_URL").map({ String(cString: $0) }) else { fail("DATABASE_URL is required") }
let args = CommandLine.arguments
var config = PostgresConfiguration(url: url)

switch args.count > 1 ? args[1] : "" {
case "jobs":
    let runs = Int(args[2]) ?? 200
    var jobConfig = JobRunner.Configuration()
    jobConfig.workers = 1
    jobConfig.pollIntervalMs = 5
    var logger = Logger(label: "dbbench")
    logger.logLevel = .critical
    let runner = JobRunner(configuration: jobConfig, database: config, metrics: MetricsRegistry(), logger: logger)
    let name = "bench_noop_\(Int(now() * 1000) % 1_000_000)"
    runner.schedule(ScheduledJob(name: name, intervalMs: 86_400_000) { _ in .nothing })
    let start = now()
    for _ in 0..<runs { _ = try runner.runNow(name) }
    let scheduled = (now() - start) / Double(runs) * 1000
    runner.register(QueuedJob(name: name + "_q") { _ in .nothing })
    try runner.start()
    let queuedStart = now()
    var last: Int64 = 0
    for _ in 0..<runs { last = try runner.enqueue(name + "_q") }
    while try runner.find(last)?.status != "succeeded" { usleep(1_000) }
    let queued = (now() - queuedStart) / Double(runs) * 1000
    runner.stop(timeoutMs: 5_000)
    func ms(_ v: Double) -> String { String(Double(Int(v * 100)) / 100) }
    print("scheduled no-op run: \(ms(scheduled)) ms each (advisory lock, tick check, row, outcome, unlock)")
    print("queued no-op run: \(ms(queued)) ms each, enqueue to finish, one worker")
case "select":
    let workers = Int(args[2]) ?? 8
    let seconds = Double(args[3]) ?? 10
    config.poolSize = workers
    config.maxOverflow = 0
    let pool = ConnectionPool(configuration: config)
    let accounts = try pool.withConnection { try $0.query("SELECT count(*)::int AS n FROM pgbench_accounts").first!.decode("n", as: Int.self) }
    let total = Atomic<Int>(0)
    let deadline = now() + seconds
    let group = DispatchGroup()
    for _ in 0..<workers {
        DispatchQueue.global().async(group: group) {
            var n = 0
            while now() < deadline {
                let aid = Int.random(in: 1...accounts)
                _ = try? pool.withConnection { try $0.query("SELECT abalance FROM pgbench_accounts WHERE aid = \(aid)") }
                n += 1
            }
            total.add(n, ordering: .relaxed)
        }
    }
    group.wait()
    let count = total.load(ordering: .relaxed)
    print("pool select: workers=\(workers) queries=\(count) qps=\(Int(Double(count) / seconds))")
case "checkout":
    let iterations = Int(args[2]) ?? 200_000
    let pool = ConnectionPool(configuration: config)
    try pool.withConnection { _ in }
    let start = now()
    for _ in 0..<iterations { try pool.withConnection { _ in } }
    let elapsed = now() - start
    print("pool checkout+checkin: \(Int(elapsed / Double(iterations) * 1e9)) ns each over \(iterations) iterations")
case "copy":
    let rows = Int(args[2]) ?? 1_000_000
    let pool = ConnectionPool(configuration: config)
    let assets = 100
    let days = (rows + assets - 1) / assets
    try pool.withConnection { c in
        try c.execute(unsafeSQL: """
            INSERT INTO assets (symbol, name, asset_class, currency)
            SELECT 'BENCH' || g, 'Bench ' || g, 'equity', 'USD' FROM generate_series(1, \(assets)) g
            ON CONFLICT DO NOTHING
            """)
    }
    let ids = try pool.withConnection { c in
        try c.query("SELECT id FROM assets WHERE symbol LIKE 'BENCH%' ORDER BY id").map { try $0.decode("id", as: Int.self) }
    }
    // Dates from 1995-01-01 onwards, as text, computed without a calendar library.
    func date(_ offset: Int) -> String {
        var t = 788_918_400 + offset * 86_400 // 1995-01-01
        var tmv = tm()
        gmtime_r(&t, &tmv)
        return PostgresDate(year: Int(tmv.tm_year) + 1900, month: Int(tmv.tm_mon) + 1, day: Int(tmv.tm_mday)).description
    }
    let dates = (0..<days).map(date)
    var produced = 0
    let lines = ids.lazy.flatMap { id in dates.lazy.map { d in PostgresCopy.line([String(id), d, "100.5", "1000", "bench"]) } }
        .prefix(rows)
    // Reference points: the Swift side alone, and the same rows into a table with no
    // constraints, partitions or foreign key, so the schema's share of the cost is visible.
    var encodeStart = now()
    var bytes = 0
    for line in lines { bytes += line.count }
    print("encode only: \(rows) rows, \(bytes / 1_000_000) MB in \(((now() - encodeStart) * 100).rounded() / 100) s")
    encodeStart = now()
    let plain = try pool.withConnection { c -> Int in
        try c.execute(unsafeSQL: "CREATE UNLOGGED TABLE IF NOT EXISTS bench_plain_prices (asset_id bigint, date date, close float8, volume bigint, source text)")
        return try c.copyIn(unsafeSQL: "COPY bench_plain_prices FROM STDIN", rows: lines)
    }
    print("COPY into an unconstrained unlogged table: \(plain) rows in \(((now() - encodeStart) * 100).rounded() / 100) s")
    let start = now()
    let copied = try pool.transaction { tx in
        try tx.copyIn(unsafeSQL: "COPY prices (asset_id, date, close, volume, source) FROM STDIN", rows: lines)
    }
    produced = copied
    let elapsed = now() - start
    print("COPY prices: \(produced) rows in \((elapsed * 100).rounded() / 100) s (\(Int(Double(produced) / elapsed)) rows/s)")
default:
    fail("usage: dbbench select WORKERS SECONDS | checkout ITERATIONS | copy ROWS")
}
