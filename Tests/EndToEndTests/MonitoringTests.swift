import Foundation
import Testing

/// monitoring/: the alert rules are valid, their unit tests pass, and every metric they use is
/// one the server really exports.
@Suite struct MonitoringTests {
    static let dir = ServerProcess.repositoryRoot + "/monitoring"

    func promtool(_ args: [String], in directory: String) throws -> (Int32, String) {
        guard FileManager.default.fileExists(atPath: "/usr/bin/promtool") else {
            if ProcessInfo.processInfo.environment["REQUIRE_PROMTOOL"] == "1" { Issue.record("promtool is required but missing") }
            return (0, "skipped: no promtool")
        }
        return try DatabaseTests.run("/bin/sh", ["-c", "cd '\(directory)' && /usr/bin/promtool " + args.joined(separator: " ")])
    }

    @Test func alertRulesAreValidAndTheirTestsPass() throws {
        let check = try promtool(["check", "rules", "alerts.yaml"], in: Self.dir)
        #expect(check.0 == 0, "\(check.1)")
        let unit = try promtool(["test", "rules", "alerts.test.yaml"], in: Self.dir)
        #expect(unit.0 == 0, "\(unit.1)")
        let config = try promtool(["check", "config", "prometheus.yml"], in: Self.dir)
        #expect(config.0 == 0, "\(config.1)")
    }

    @Test func alertsOnlyUseExportedMetrics() throws {
        let rules = try String(contentsOfFile: Self.dir + "/alerts.yaml", encoding: .utf8)
        let exprLines = rules.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") && !$0.contains("summary:") }
        let candidates = Set(exprLines.flatMap { line in
            line.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).map(String.init)
        }.filter { $0.hasPrefix("http_") || $0.hasPrefix("db_") || $0.hasPrefix("process_") || $0.hasPrefix("rate_limit_")
            || $0.hasPrefix("job_") })
        #expect(!candidates.isEmpty)
        let server = try ServerProcess()
        defer { server.stop() }
        _ = try server.request("GET", "/__test/db/pid") // make the database families appear
        let metrics = try server.request("GET", "/metrics").text
        // A family counts when it has samples or is declared (a labelled counter such as
        // job_runs_total has no sample before its first event).
        let lines = metrics.split(separator: "\n")
        let exported = Set(lines.filter { !$0.hasPrefix("#") }.compactMap { line in
            line.split(whereSeparator: { $0 == "{" || $0 == " " }).first.map(String.init)
        } + lines.filter { $0.hasPrefix("# TYPE ") }.compactMap { $0.split(separator: " ").dropFirst(2).first.map(String.init) })
        for name in candidates {
            let family = [name, name + "_bucket", name + "_count", name + "_sum"]
            #expect(family.contains { exported.contains($0) }, "alert uses \(name), which /metrics does not export")
        }
    }
}
