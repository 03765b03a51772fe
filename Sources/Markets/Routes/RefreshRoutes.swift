import Foundation
import HTTPServer
import Platform

/// POST /admin/refresh (cron, operators) and GET /api/v1/events (Server-Sent Events).
enum RefreshRoutes {
    static func mode(fromPayload payload: String) -> RefreshMode {
        payload.contains(#""mode":"full""#) ? .full : .incremental
    }

    static func register(_ routes: inout Routes, jobs: JobRunner, events: EventHub, readAccess: Access, sessions: SessionValidity) throws {
        try routes.post("/admin/refresh", RouteOptions(access: .admin, timeoutMs: 900_000, doc: RouteDoc(
            "Refresh market data and recompute the index: 202 with the run id, or with wait=true the finished run (502 when the provider failed)",
            tag: "jobs", parameters: [
                ParameterDoc("mode", .string(enumValues: RefreshMode.allCases.map(\.rawValue)), "incremental (default) or full history"),
                ParameterDoc("wait", .boolean, "answer when the run has finished (for cron)"),
            ], status: 202, otherStatuses: [200], data: .object([("run_id", .integer(minimum: 1)), ("status", .text), ("mode", .text), ("run", .anyObject)],
                                          required: ["run_id", "status", "mode"])))) { request, context in
            var q = QueryParameters(request)
            q.allowOnly(["mode", "wait"])
            let mode = RefreshMode(rawValue: q.oneOf("mode", RefreshMode.allCases.map(\.rawValue), default: "incremental")) ?? .incremental
            let wait = q.bool("wait", default: false)
            try q.validate()
            switch try jobs.startRun(MarketsFeature.refreshJob, payload: #"{"mode":"\#(mode.rawValue)"}"#, trigger: "api") {
            case .busy(let id):
                var e = AppError(.conflict, "A refresh is already running" + (id.map { " (run \($0))" } ?? ""))
                e.details = [FieldIssue(field: "run_id", issue: id.map(String.init) ?? "unknown")]
                throw e
            case .started(let id):
                context.logger.notice("refresh started", metadata: ["run_id": .stringConvertible(id), "mode": .string(mode.rawValue)])
                guard wait else { return try context.success(Started(runID: id, status: "running", mode: mode.rawValue, run: nil), status: .accepted) }
                guard let record = try jobs.waitForFinish(id, timeoutMs: 890_000) else { throw AppError(.internalError, "run \(id) vanished") }
                switch record.status {
                case "succeeded":
                    return try context.success(Started(runID: id, status: record.status, mode: mode.rawValue, run: record))
                case "running":
                    throw AppError(.timeoutError, "Refresh run \(id) is still running; see GET /admin/jobs/\(id)")
                default:
                    let upstream = record.error?.hasPrefix(ProviderError.prefix) == true
                    throw AppError(upstream ? .upstreamError : .processingError,
                                   "Refresh run \(id) \(record.status); nothing was changed. See GET /admin/jobs/\(id)")
                }
            }
        }
        // On a worker only to authenticate (a blocking token check); the stream itself costs no thread.
        try routes.get("/api/v1/events", RouteOptions(access: readAccess, inline: readAccess == .public, timeoutMs: 0, doc: RouteDoc(
            "Server-Sent Events: a `refresh` event (run_id, last_date, index_value) after every committed refresh, and heartbeats",
            tag: "markets", data: nil, rawContentType: "text/event-stream"))) { _, context in
            // A subscriber's stream ends once its login no longer stands (logout, deactivation).
            guard let principal = context.principal else { return events.subscribe() }
            return events.subscribe(stillValid: { sessions.stillValid(principal) })
        }
    }

    struct Started: Encodable {
        var runID: Int64
        var status: String
        var mode: String
        var run: JobRunRecord?
        enum CodingKeys: String, CodingKey { case runID = "run_id", status, mode, run }
    }
}
