import HTTPServer
import FoundationEssentials

/// /health (liveness), /ready (readiness) and /metrics (Prometheus). /health and /metrics run
/// inline on the event loop, so they answer even when every worker is busy; /ready asks the
/// database and so runs on a worker.
public enum OperationalRoutes {
    public static let version = "0.1.0"

    public static func register(_ routes: inout Routes, metrics: MetricsRegistry, lifecycle: Lifecycle,
                                checks: [any ReadinessCheck], environment: DeploymentEnvironment) throws {
        let healthBody = Array("{\"status\":\"ok\"}".utf8)
        try routes.get("/health", RouteOptions(access: .public, inline: true,
                                               doc: RouteDoc("Liveness: 200 whenever the process can answer", tag: "operations", data: nil))) { _, _ in
            Response(status: .ok, contentType: "application/json", body: healthBody)
        }

        try routes.get("/ready", RouteOptions(access: .public, inline: checks.isEmpty,
                                              doc: RouteDoc("Readiness: 200, or 503 while draining or a dependency check fails",
                                                            tag: "operations", data: nil))) { _, _ in
            var problems: [(String, String)] = []
            if lifecycle.isDraining { problems.append(("process", "draining")) }
            for check in checks { if let p = check.problem() { problems.append((check.name, p)) } }
            var out: [UInt8] = []
            JSONWriter.appendRaw("{\"status\":\(problems.isEmpty ? "\"ready\"" : "\"not_ready\""),\"checks\":{", to: &out)
            let names = ["process"] + checks.map(\.name)
            for (i, name) in names.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(name, to: &out)
                out.append(UInt8(ascii: ":"))
                JSONWriter.appendString(problems.first { $0.0 == name }?.1 ?? "ok", to: &out)
            }
            out.append(contentsOf: "}}".utf8)
            return Response(status: problems.isEmpty ? .ok : .serviceUnavailable, contentType: "application/json", body: out)
        }

        try routes.get("/metrics", RouteOptions(access: .public, inline: true,
                                                doc: RouteDoc("Prometheus metrics (text exposition format 0.0.4)", tag: "operations",
                                                              data: nil, rawContentType: "text/plain"))) { _, _ in
            Response(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.render())
        }

        struct Status: Encodable {
            let service: String
            let version: String
            let environment: String
            let uptimeSeconds: Int
            enum CodingKeys: String, CodingKey {
                case service, version, environment
                case uptimeSeconds = "uptime_seconds"
            }
        }
        let statusSchema = Schema.object([("service", .text), ("version", .text), ("environment", .text),
                                          ("uptime_seconds", .integer(minimum: 0))],
                                         required: ["service", "version", "environment", "uptime_seconds"])
        try routes.get("/api/v1/status", RouteOptions(access: .public, inline: true,
                                                      doc: RouteDoc("Service name, version, environment and uptime", tag: "operations",
                                                                    data: statusSchema))) { _, context in
            try context.success(Status(service: "apiserver", version: version, environment: environment.rawValue,
                                       uptimeSeconds: Int(ProcessMetrics.wallClockSeconds() - lifecycle.startTime)))
        }

        metrics.addCollector { text in
            text.header("apiserver_build_info", help: "Build information; the value is always 1.", type: "gauge")
            text.sample("apiserver_build_info", ["version"], [version], 1)
        }
    }
}
