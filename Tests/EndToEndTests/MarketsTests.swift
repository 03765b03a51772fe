import Foundation
import Synchronization
import Testing

/// Markets end to end: the real binary, a fresh database per test, the demo provider with a
/// fixed last date, refreshes through POST /admin/refresh.
@Suite(.serialized) struct MarketsTests {
    static let token = "markets-test-token-0123456789abcdef"
    static let auth = [("Authorization", "Bearer \(token)")]
    static let small = "AAPL,MSFT,SPY,USO"

    static func server(_ url: String, _ env: [String: String] = [:]) throws -> ServerProcess {
        var e = ["DATABASE_URL": url, "ADMIN_API_TOKEN": token, "DEMO_END_DATE": "2024-06-28", "ASSETS": small,
                 "RATE_LIMIT_ENABLED": "false", "REFRESH_ENABLED": "false", "PUBLIC_MARKET_DATA": "true"]
        e.merge(env) { _, new in new }
        return try ServerProcess(e)
    }

    static func refresh(_ s: ServerProcess, mode: String = "incremental") throws -> WireResponse {
        try s.request("POST", "/admin/refresh?wait=true&mode=\(mode)", headers: auth)
    }

    static func stats(_ r: WireResponse) -> [String: Any] {
        (((r.json?["data"] as? [String: Any])?["run"] as? [String: Any])?["stats"] as? [String: Any]) ?? [:]
    }

    static func counts(_ stats: [String: Any], _ key: String) -> (Int, Int, Int) {
        let c = stats[key] as? [String: Any] ?? [:]
        return (c["inserted"] as? Int ?? -1, c["updated"] as? Int ?? -1, c["unchanged"] as? Int ?? -1)
    }

    /// Sixty parallel triggers while a refresh runs: each is answered 409 at once (this
    /// instance holds the lock), none waits on the job pool, and the running job's heartbeat
    /// never misses its connection.
    @Test func parallelTriggersDuringARunAreAnswered409WithoutJammingThePool() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url, ["REFRESH_FAULT_INJECTION": "pause_before_commit", "JOB_HEARTBEAT_INTERVAL": "200ms"])
        defer { s.stop() }
        let started = try s.request("POST", "/admin/refresh", headers: Self.auth)
        #expect(started.status == 202, "\(started.text)")
        let statuses = Mutex<[Int]>([])
        let began = Date()
        // Sixty threads at once (concurrentPerform would run as many as there are cores).
        let group = DispatchGroup()
        for _ in 0..<60 {
            group.enter()
            Thread.detachNewThread {
                let status = (try? s.request("POST", "/admin/refresh", headers: Self.auth).status) ?? -1
                statuses.withLock { $0.append(status) }
                group.leave()
            }
        }
        group.wait()
        let took = Date().timeIntervalSince(began)
        let all = statuses.withLock { $0 }
        #expect(all.allSatisfy { $0 == 409 }, "\(all.sorted())")
        print("60 parallel triggers answered in \(took) s")
        #expect(took < 10, "answered at once, not after pool timeouts: \(took) s")
        for bad in ["job heartbeat failed", "job queue unavailable", "DATABASE_UNAVAILABLE"] { #expect(!s.log.contains(bad), "\(bad)") }
    }

    /// A digest of every market table, to prove that a failed refresh changed nothing.
    /// `assetsWithoutUpdatedAt`: an asset a restore writes back says when it did (its
    /// updated_at), which is the one column that then differs.
    static func checksum(_ url: String, assetsWithoutUpdatedAt: Bool = false) throws -> String {
        let assets = assetsWithoutUpdatedAt
            ? "(SELECT string_agg((t.id, t.symbol, t.name, t.sector, t.asset_class, t.currency, t.is_benchmark, t.created_at, t.deleted_at, t.market_cap)::text, ',' ORDER BY id) FROM assets t)"
            : "(SELECT string_agg(t::text, ',' ORDER BY id) FROM assets t)"
        return try DatabaseTests.psql(url, """
            SELECT md5(concat_ws('|',
              (SELECT string_agg(t::text, ',' ORDER BY asset_id, date) FROM prices t),
              (SELECT string_agg(t::text, ',' ORDER BY quote, date) FROM fx_rates t),
              (SELECT string_agg(t::text, ',' ORDER BY date) FROM index_values t),
              (SELECT string_agg(t::text, ',' ORDER BY date, asset_id) FROM allocations t),
              (SELECT string_agg(t::text, ',' ORDER BY date) FROM risk_metrics t),
              \(assets)))
            """)
    }

    static func data(_ r: WireResponse) -> Any? { r.json?["data"] }

    @Test func refreshTwiceChangesNothingUpdatesAChangedCloseAppendsANewDayAndNeverDeletes() throws {
        let url = try DatabaseTests.freshDatabase()
        var s = try Self.server(url)
        let first = try Self.refresh(s, mode: "full")
        #expect(first.status == 200, "\(first.text)")
        let inserted = Self.counts(Self.stats(first), "prices").0
        #expect(inserted > 5_000)
        let rows = try DatabaseTests.psql(url, "SELECT count(*) FROM prices")
        let second = try Self.refresh(s)
        #expect(second.status == 200)
        let (i2, u2, n2) = Self.counts(Self.stats(second), "prices")
        #expect(i2 == 0 && u2 == 0 && n2 > 0, "incremental refresh over the overlap only: \(Self.stats(second))")
        #expect(Self.counts(Self.stats(second), "fx").0 == 0)
        #expect((Self.stats(second)["index_values"] as? [String: Any])?["updated"] as? Int == 0)
        // A close changed behind the provider's back inside the overlap is put back (one update).
        _ = try DatabaseTests.psql(url, "UPDATE prices SET close = close * 2 WHERE date = '2024-06-27' AND asset_id = (SELECT id FROM assets WHERE symbol = 'AAPL')")
        let third = try Self.refresh(s)
        #expect(Self.counts(Self.stats(third), "prices").1 == 1)
        #expect(try DatabaseTests.psql(url, "SELECT count(*) FROM prices") == rows)
        // The next business day appears once the provider has it.
        s.stop()
        s = try Self.server(url, ["DEMO_END_DATE": "2024-07-01"])
        defer { s.stop() }
        let fourth = try Self.refresh(s)
        #expect(Self.counts(Self.stats(fourth), "prices").0 == 5, "\(Self.stats(fourth))")
        #expect(try DatabaseTests.psql(url, "SELECT count(*) FROM prices") == String(Int(rows)! + 5))
        let history = try s.request("GET", "/api/v1/index/history?from=2024-07-01")
        #expect((Self.data(history) as? [[String: Any]])?.map { $0["date"] as? String } == ["2024-07-01"])
        // Every run is a job run with stats and an audit row.
        #expect(try DatabaseTests.psql(url, "SELECT count(*) FROM job_runs WHERE job = 'price_refresh' AND status = 'succeeded'") == "4")
        #expect(try DatabaseTests.psql(url, "SELECT count(*) FROM audit_logs WHERE resource_type = 'job_run'") >= "4")
    }

    @Test(arguments: ["provider_halfway", "constraint_violation", "connection_killed"])
    func aFaultAtAnyStepLeavesEveryTableAsItWas(fault: String) throws {
        let url = try DatabaseTests.freshDatabase()
        do {
            let s = try Self.server(url)
            defer { s.stop() }
            #expect(try Self.refresh(s, mode: "full").status == 200)
        }
        _ = try DatabaseTests.psql(url, "UPDATE prices SET close = close + 1 WHERE date >= '2024-06-25'")
        let before = try Self.checksum(url)
        let s = try Self.server(url, ["REFRESH_FAULT_INJECTION": fault])
        defer { s.stop() }
        let r = try Self.refresh(s)
        #expect(r.status == (fault == "provider_halfway" ? 502 : 500), "\(r.text)")
        #expect(try Self.checksum(url) == before)
        // The failure is recorded as a failed job run with its error.
        #expect(try DatabaseTests.psql(url, "SELECT status FROM job_runs WHERE job = 'price_refresh' ORDER BY id DESC LIMIT 1") == "failed")
    }

    @Test func aProcessKilledInsideTheTransactionChangesNothingAndTheExportRestores() throws {
        let url = try DatabaseTests.freshDatabase()
        let backups = NSTemporaryDirectory() + "markets-kill-" + UUID().uuidString
        do {
            let s = try Self.server(url, ["BACKUP_DIR": backups])
            defer { s.stop() }
            #expect(try Self.refresh(s, mode: "full").status == 200)
        }
        _ = try DatabaseTests.psql(url, "UPDATE prices SET close = close + 1 WHERE date >= '2024-06-25'")
        let before = try Self.checksum(url)
        let beforeAssetTimesAside = try Self.checksum(url, assetsWithoutUpdatedAt: true)
        let s = try Self.server(url, ["REFRESH_FAULT_INJECTION": "pause_before_commit", "BACKUP_DIR": backups])
        let started = try s.request("POST", "/admin/refresh", headers: Self.auth)
        #expect(started.status == 202)
        let runID = (Self.data(started) as? [String: Any])?["run_id"] as? Int ?? 0
        // A second refresh while this one runs: 409 naming the running run.
        let second = try s.request("POST", "/admin/refresh", headers: Self.auth)
        #expect(second.status == 409)
        #expect(second.text.contains("run \(runID)"))
        // Wait until the transaction is writing (it then pauses 15 s before COMMIT), let it finish
        // its writes, then SIGKILL.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let p = Int(try DatabaseTests.psql(url, "SELECT progress FROM job_runs WHERE id = \(runID)")), p >= 50 { break }
            usleep(100_000)
        }
        usleep(4_000_000)
        let state = try DatabaseTests.psql(url, "SELECT status || ' ' || progress || ' ' || coalesce(error, '') FROM job_runs WHERE id = \(runID)")
        #expect(state.hasPrefix("running"), "\(state) \(s.log.suffix(3000))")
        kill(s.process.processIdentifier, SIGKILL)
        s.process.waitUntilExit()
        #expect(try Self.checksum(url) == before)
        // The export written before the transaction restores the rows it holds.
        let exports = try FileManager.default.contentsOfDirectory(atPath: backups).filter { $0.hasSuffix(".tsv.gz") }.sorted()
        #expect(exports.count == 2)
        // A bad run's damage, FX rates and an asset included (the export holds them too).
        _ = try DatabaseTests.psql(url, """
            UPDATE prices SET close = close * 3 WHERE date >= '2024-06-25'; DELETE FROM index_values WHERE date > '2024-01-01';
            UPDATE fx_rates SET rate = rate * 2 WHERE date >= '2024-06-25'; UPDATE assets SET market_cap = 1, name = 'Wrong' WHERE symbol = 'AAPL'
            """)
        let assetBefore = "SELECT name || ' ' || coalesce(market_cap::text, '-') FROM assets WHERE symbol = 'AAPL'"
        let changed = try Self.checksum(url)
        let env = ["DATABASE_URL": url, "MIGRATIONS_DIR": ServerProcess.repositoryRoot + "/migrations"]
        // Without --replace it says what it would change and changes nothing.
        let (refusedStatus, refusedOut) = try DatabaseTests.run(ServerProcess.binaryPath, ["restore", backups + "/" + exports.last!], env: env)
        #expect(refusedStatus != 0 && refusedOut.contains("rows now") && refusedOut.contains("--replace"), "\(refusedOut)")
        #expect(try Self.checksum(url) == changed)
        // The first export, written before the first refresh, is named for what it is.
        let (emptyStatus, emptyOut) = try DatabaseTests.run(ServerProcess.binaryPath, ["restore", backups + "/" + exports.first!], env: env)
        #expect(emptyStatus != 0 && emptyOut.contains("EMPTY database"), "\(emptyOut)")
        #expect(try Self.checksum(url) == changed)
        let (status, out) = try DatabaseTests.run(ServerProcess.binaryPath, ["restore", "--replace", backups + "/" + exports.last!], env: env)
        #expect(status == 0, "\(out)")
        #expect(try Self.checksum(url, assetsWithoutUpdatedAt: true) == beforeAssetTimesAside)
        #expect(try DatabaseTests.psql(url, assetBefore) != "Wrong 1", "the asset is put back")
        // A damaged export is refused before anything is touched.
        let path = backups + "/" + exports.last!
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        let (badStatus, badOut) = try DatabaseTests.run(ServerProcess.binaryPath, ["restore", path], env: ["DATABASE_URL": url])
        #expect(badStatus != 0 && badOut.contains("SHA-256"))
        #expect(try Self.checksum(url, assetsWithoutUpdatedAt: true) == beforeAssetTimesAside)
    }

    @Test func readsCarryStrongETagsAndRevalidateWith304() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url)
        defer { s.stop() }
        #expect(try Self.refresh(s, mode: "full").status == 200)
        for path in ["/api/v1/index/history", "/api/v1/index/current", "/api/v1/assets", "/api/v1/index/risk-metrics",
                     "/api/v1/prices?symbol=AAPL&limit=5", "/api/v1/fx-rates?currency=EUR&from=2024-01-01", "/api/v1/currencies",
                     "/api/v1/index/allocations?date=2024-03-01", "/api/v1/benchmark/compare?start_date=2023-01-01"] {
            let r = try s.request("GET", path)
            #expect(r.status == 200, "\(path): \(r.text)")
            let etag = try #require(r.header("ETag"), "\(path)")
            #expect(etag.hasPrefix("\"") && !etag.hasPrefix("W/"))
            #expect(r.header("Cache-Control") == "private, max-age=60")
            let again = try s.request("GET", path, headers: [("If-None-Match", etag)])
            #expect(again.status == 304, "\(path): \(again.status)")
            #expect(again.body.isEmpty && again.header("ETag") == etag, "\(path): \(again.text)")
            #expect(try s.request("GET", path, headers: [("If-None-Match", "\"other\"")]).status == 200)
        }
        // One name for ranges: from/to, with benchmark/compare's old names still read.
        let viaFrom = try s.request("GET", "/api/v1/benchmark/compare?from=2023-01-01&to=2024-03-01")
        let viaOld = try s.request("GET", "/api/v1/benchmark/compare?start_date=2023-01-01&end_date=2024-03-01")
        #expect(viaFrom.status == 200 && viaFrom.header("ETag") == viaOld.header("ETag"), "\(viaFrom.text)")
        #expect(try s.request("GET", "/api/v1/benchmark/compare?from=2023-01-01&start_date=2023-01-01").status == 400)
        // One page rule: 1-1000, and meta.limit with meta.next_cursor on every page.
        let page = try s.request("GET", "/api/v1/prices?symbol=AAPL&limit=1000")
        let meta = page.json?["meta"] as? [String: Any] ?? [:]
        #expect(page.status == 200 && meta["limit"] as? Int == 1000 && meta.keys.contains("next_cursor"), "\(meta)")
        #expect(try s.request("GET", "/api/v1/prices?symbol=AAPL&limit=1001").status == 400)
        // A change to the data changes the validator.
        let before = try s.request("GET", "/api/v1/index/history").header("ETag")
        _ = try DatabaseTests.psql(url, "UPDATE prices SET close = close * 1.5 WHERE date = '2024-06-27'")
        #expect(try Self.refresh(s, mode: "full").status == 200)
        #expect(try s.request("GET", "/api/v1/index/history").header("ETag") == before)
        _ = try DatabaseTests.psql(url, "UPDATE strategy_configs SET parameters = parameters || '{\"lookback_days\": 30}' WHERE is_active")
        #expect(try Self.refresh(s).status == 200)
        #expect(try s.request("GET", "/api/v1/index/history").header("ETag") != before)
    }

    @Test func pagesStayStableWhileRowsAreInserted() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url)
        defer { s.stop() }
        #expect(try Self.refresh(s, mode: "full").status == 200)
        let page1 = try s.request("GET", "/api/v1/prices?limit=7&from=2024-06-03")
        let cursor = try #require((page1.json?["meta"] as? [String: Any])?["next_cursor"] as? String)
        let page2 = try s.request("GET", "/api/v1/prices?limit=7&from=2024-06-03&cursor=\(cursor)")
        // Rows inserted before the cursor's position (a new asset on the first day) do not shift later pages.
        _ = try DatabaseTests.psql(url, """
            INSERT INTO assets (symbol, name, asset_class, currency) VALUES ('NEW', 'New', 'equity', 'USD');
            INSERT INTO prices (asset_id, date, close) SELECT id, DATE '2024-06-03', 10 FROM assets WHERE symbol = 'NEW'
            """)
        let again = try s.request("GET", "/api/v1/prices?limit=7&from=2024-06-03&cursor=\(cursor)")
        #expect(page2.status == 200 && again.text.contains("\"data\""))
        #expect((Self.data(again) as? [[String: Any]])?.map { "\($0["symbol"]!)\($0["date"]!)" } ==
                (Self.data(page2) as? [[String: Any]])?.map { "\($0["symbol"]!)\($0["date"]!)" })
        for bad in ["limit=0", "limit=1001", "cursor=@@@", "from=2024-02-30", "symbol=aapl%3B", "to=2024-01-01&from=2024-02-01", "bogus=1"] {
            let r = try s.request("GET", "/api/v1/prices?\(bad)")
            #expect(r.status == 400 && DatabaseTests.errorCode(r) == "VALIDATION_ERROR", "\(bad): \(r.text)")
        }
    }

    @Test func simulationFollowsTheSpecInEveryCurrencyAndRejectsBadInput() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url)
        defer { s.stop() }
        // Before any refresh there is no index.
        func simulate(_ body: String) throws -> WireResponse {
            try s.request("POST", "/api/v1/simulation", headers: [("Content-Type", "application/json")], body: Array(body.utf8))
        }
        #expect(try simulate(#"{"amount":"100","currency":"USD","start_date":"2020-01-02"}"#).status == 404)
        #expect(try Self.refresh(s, mode: "full").status == 200)
        let usd = try simulate(#"{"amount":"1000.00","currency":"USD","start_date":"2020-01-01","end_date":"2023-12-31"}"#)
        let u = try #require(Self.data(usd) as? [String: Any], "\(usd.text)")
        #expect(u["start"] as? String == "2020-01-02" && u["end"] as? String == "2023-12-29")
        // The shifted dates are said, never silent.
        #expect((u["message"] as? String)?.contains("start_date 2020-01-01 has no index value; the simulation starts at 2020-01-02") == true
                && (u["message"] as? String)?.contains("ends at 2023-12-29") == true, "\(u["message"] ?? "-")")
        let ratio = (u["index_end"] as! Double) / (u["index_start"] as! Double)
        let expected = String(format: "%.2f", 1000 * ratio)
        #expect(u["amount_final"] as? String == expected)
        #expect(u["amount"] as? String == "1000.00")
        // In USD only the rounding of the final amount to cents separates the two returns.
        #expect(abs((u["fx_effect_pct"] as! Double)) < 0.001)
        for key in ["currency", "amount", "start", "end", "days", "rate_start", "rate_end", "index_start", "index_end", "amount_usd", "final_usd",
                    "amount_final", "roi_pct", "usd_roi_pct", "fx_effect_pct", "annualized_return_pct", "max_drawdown_pct"] {
            #expect(u.keys.contains(key), "missing \(key)")
        }
        // EUR: the rates at both ends differ, so the FX effect is not zero; JPY has no decimals.
        let eur = try #require(Self.data(try simulate(#"{"amount":2500,"currency":"EUR","start_date":"2019-03-01","end_date":"2024-03-01"}"#)) as? [String: Any])
        #expect((eur["rate_start"] as! Double) != (eur["rate_end"] as! Double))
        #expect(abs(eur["fx_effect_pct"] as! Double) > 1e-6)
        #expect((eur["amount_final"] as! String).split(separator: ".").last?.count == 2)
        let jpy = try #require(Self.data(try simulate(#"{"amount":"100000","currency":"JPY","start_date":"2021-01-04"}"#)) as? [String: Any])
        #expect(!(jpy["amount_final"] as! String).contains("."))
        #expect(jpy["end"] as? String == "2024-06-28")
        let same = try #require(Self.data(try simulate(#"{"amount":"5","currency":"GBP","start_date":"2024-06-28","end_date":"2024-06-28"}"#)) as? [String: Any])
        #expect(same["message"] is NSNull, "index dates asked for: nothing to say")
        #expect(same["days"] as? Int == 0 && same["annualized_return_pct"] is NSNull && same["amount_final"] as? String == "5.00")
        let bad: [(String, String)] = [
            (#"{"amount":"0","currency":"USD","start_date":"2020-01-02"}"#, "amount"),
            (#"{"amount":"-5","currency":"USD","start_date":"2020-01-02"}"#, "amount"),
            (#"{"amount":"1.5","currency":"JPY","start_date":"2020-01-02"}"#, "amount"),
            (#"{"amount":"1.005","currency":"USD","start_date":"2020-01-02"}"#, "amount"),
            (#"{"amount":"2000000000000","currency":"USD","start_date":"2020-01-02"}"#, "amount"),
            (#"{"amount":1e308,"currency":"USD","start_date":"2020-01-02"}"#, "amount"),
            (#"{"amount":"1e308","currency":"USD","start_date":"2020-01-02"}"#, "amount"),
            (#"{"amount":"abc","currency":"USD","start_date":"2020-01-02"}"#, "amount"),
            (#"{"amount":"10","currency":"XYZ","start_date":"2020-01-02"}"#, "currency"),
            (#"{"amount":"10","currency":"USD","start_date":"2020-02-30"}"#, "start_date"),
            (#"{"amount":"10","currency":"USD","start_date":"2030-01-01"}"#, "start_date"),
            (#"{"amount":"10","currency":"USD","start_date":"2020-01-02","end_date":"2019-01-01"}"#, "end_date"),
            (#"{"amount":"10","currency":"USD","start_date":"2010-01-02","end_date":"2011-01-01"}"#, "end_date"),
            (#"{"amount":"10","currency":"USD","start_date":"2020-01-02","bonus":1}"#, "bonus"),
            (#"{"amount":true,"currency":"USD","start_date":"2020-01-02"}"#, "amount"),
            (#"{"currency":"USD","start_date":"2020-01-02"}"#, "amount"),
        ]
        for (body, field) in bad {
            let r = try simulate(body)
            let details = ((r.json?["error"] as? [String: Any])?["details"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? []
            #expect(r.status == 400 && details.contains(field), "\(body): \(r.text)")
        }
        // An amount past the maximum says the maximum, however it is written.
        for amount in [#""99999999999999""#, #""1000000000000.5""#, "5000000000000"] {
            let r = try simulate(#"{"amount":\#(amount),"currency":"USD","start_date":"2020-01-02"}"#)
            #expect(r.status == 400 && r.text.contains("at most 1000000000000"), "\(amount): \(r.text)")
        }
    }

    @Test func strategyChangesAreVersionedValidatedAndAdminOnly() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url)
        defer { s.stop() }
        #expect(try Self.refresh(s, mode: "full").status == 200)
        let json = [("Content-Type", "application/json")]
        let current = try #require(Self.data(try s.request("GET", "/api/v1/strategy/config")) as? [String: Any])
        #expect(current["version"] as? Int == 1 && current["lookback_days"] as? Int == 60 && current["rebalance_frequency"] as? String == "weekly")
        #expect(try s.request("PUT", "/api/v1/strategy/config", headers: json, body: Array(#"{"lookback_days":30}"#.utf8)).status == 401)
        for (body, field) in [(#"{"momentum_weight":0.5}"#, "momentum_weight"), (#"{"lookback_days":1}"#, "lookback_days"),
                              (#"{"rebalance_frequency":"hourly"}"#, "rebalance_frequency"), (#"{"surprise":1}"#, "surprise"),
                              (#"{"min_price":-1}"#, "min_price"), (#"{"lookback_days":"ten"}"#, "lookback_days")] {
            let r = try s.request("PUT", "/api/v1/strategy/config", headers: json + Self.auth, body: Array(body.utf8))
            #expect(r.status == 400 && r.text.contains(field), "\(body): \(r.text)")
        }
        let history = try s.request("GET", "/api/v1/index/history").text
        let changed = try s.request("PUT", "/api/v1/strategy/config?recompute=true", headers: json + Self.auth,
                                    body: Array(#"{"rebalance_frequency":"monthly","momentum_weight":0.5,"market_cap_weight":0.2}"#.utf8))
        #expect(changed.status == 200, "\(changed.text)")
        #expect((Self.data(changed) as? [String: Any])?["version"] as? Int == 2)
        #expect(try s.request("GET", "/api/v1/index/history").text != history)
        #expect(try DatabaseTests.psql(url, "SELECT DISTINCT strategy_version FROM index_values") == "2")
        #expect(try DatabaseTests.psql(url, "SELECT count(*) FROM strategy_configs") == "2")
        // Monthly: every allocation date starts a new month.
        let dates = (Self.data(try s.request("GET", "/api/v1/index/allocations?from=2023-01-01&to=2023-12-31")) as? [[String: Any]] ?? [])
            .compactMap { $0["date"] as? String }
        #expect(Set(dates.map { $0.prefix(7) }).count == Set(dates).count && !dates.isEmpty)
    }

    @Test func theEventStreamAnnouncesEveryCommittedRefresh() throws {
        let url = try DatabaseTests.freshDatabase()
        let s = try Self.server(url)
        defer { s.stop() }
        let c = try RawConnection(port: s.port, timeout: 20)
        try c.send("GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(c.readUntil("retry: 3000"))
        #expect(try Self.refresh(s, mode: "full").status == 200)
        #expect(c.readUntil("event: refresh"))
        #expect(c.readUntil("\"index_value\":"))
    }

    @Test func twoInstancesRunOneRefreshPerTimerTick() throws {
        let url = try DatabaseTests.freshDatabase()
        // A first refresh so the ticks are short incremental runs.
        do {
            let s = try Self.server(url)
            defer { s.stop() }
            #expect(try Self.refresh(s, mode: "full").status == 200)
        }
        let env = ["REFRESH_ENABLED": "true", "REFRESH_INTERVAL": "3s"]
        let a = try Self.server(url, env), b = try Self.server(url, env)
        usleep(10_000_000)
        a.stop()
        b.stop()
        let ticks = try DatabaseTests.psql(url, """
            SELECT string_agg(n::text, ',') FROM (SELECT count(*) AS n FROM job_runs WHERE job = 'price_refresh' AND trigger = 'schedule'
            GROUP BY floor(extract(epoch FROM started_at) / 3)) t
            """)
        let perTick = ticks.split(separator: ",").compactMap { Int($0) }
        #expect(perTick.count >= 2, "\(ticks)")
        #expect(perTick.allSatisfy { $0 == 1 }, "\(ticks)")
    }

    @Test func theCSVProviderLoadsFilesAndABadFileChangesNothing() throws {
        let url = try DatabaseTests.freshDatabase()
        let dir = NSTemporaryDirectory() + "markets-csv-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "symbol,name,sector,currency,market_cap\nAAA,Alpha,Tech,USD,100\nBBB,Beta,Tech,USD,300\n^IDX,Index,,USD,\n"
            .write(toFile: dir + "/assets.csv", atomically: true, encoding: .utf8)
        var prices = "symbol,date,close\n"
        for (i, day) in ["2024-06-24", "2024-06-25", "2024-06-26", "2024-06-27", "2024-06-28"].enumerated() {
            prices += "AAA,\(day),\(10 + i)\nBBB,\(day),\(20 - i)\n^IDX,\(day),\(100 + i)\n"
        }
        try prices.write(toFile: dir + "/prices.csv", atomically: true, encoding: .utf8)
        try "date,currency,rate\n2024-06-24,EUR,0.9\n2024-06-28,EUR,0.95\n".write(toFile: dir + "/fx.csv", atomically: true, encoding: .utf8)
        let s = try Self.server(url, ["PRICE_PROVIDER": "csv", "PRICE_CSV_DIR": dir, "BENCHMARK_SYMBOL": "^IDX", "ASSETS": ""])
        defer { s.stop() }
        let r = try Self.refresh(s, mode: "full")
        #expect(r.status == 200, "\(r.text)")
        #expect(Self.counts(Self.stats(r), "prices").0 == 15 && Self.counts(Self.stats(r), "fx").0 == 2)
        let current = try #require(Self.data(try s.request("GET", "/api/v1/index/current")) as? [String: Any])
        #expect((current["weights"] as? [[String: Any]])?.compactMap { $0["symbol"] as? String }.sorted() == ["AAA", "BBB"])
        // The index value's own date (the last priced day) beside the rebalance's.
        let history = Self.data(try s.request("GET", "/api/v1/index/history")) as? [[String: Any]] ?? []
        #expect(current["index_date"] as? String == history.last?["date"] as? String && current["index_value"] as? Double == history.last?["value"] as? Double)
        #expect(current["rebalance_date"] as? String == current["date"] as? String && (current["rebalance_date"] as? String ?? "") <= (current["index_date"] as? String ?? ""))
        // One bad row: 502, nothing written, the error names the file, line and reason.
        let before = try Self.checksum(url)
        try (prices + "AAA,2024-07-01,-4\n").write(toFile: dir + "/prices.csv", atomically: true, encoding: .utf8)
        let bad = try Self.refresh(s)
        #expect(bad.status == 502, "\(bad.text)")
        #expect(try DatabaseTests.psql(url, "SELECT error FROM job_runs ORDER BY id DESC LIMIT 1").contains("prices.csv line 17: close must be a positive finite number"))
        #expect(try Self.checksum(url) == before)
    }
}
