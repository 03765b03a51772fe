import HTTPServer

/// GET /admin/jobs?job&status&limit&cursor, GET /admin/jobs/:id, POST /admin/jobs/:id/cancel.
enum JobRoutes {
    static let statuses = ["queued", "running", "succeeded", "failed", "skipped", "cancelled"]

    static let record = Schema.object([
        ("id", .integer(minimum: 1)), ("job", .text), ("kind", .text), ("trigger", .text), ("status", .string(enumValues: statuses)),
        ("queued_at", .text), ("started_at", .nullable(.text)), ("finished_at", .nullable(.text)),
        ("duration_ms", .nullable(.integer(minimum: 0))), ("attempts", .integer(minimum: 0)), ("max_attempts", .integer(minimum: 1)),
        ("progress", .integer(minimum: 0, maximum: 100)), ("progress_message", .nullable(.text)), ("cancel_requested", .boolean),
        ("stats", .anyObject), ("error", .nullable(.text)),
    ], required: ["id", "job", "status", "attempts", "progress", "cancel_requested", "stats"])
    static let idParameter = ParameterDoc("id", in: .path, .integer(minimum: 1), "the job run's id")

    static func register(_ routes: inout Routes, jobs: JobRunner) throws {
        routes.describe(JobsGlossary.terms)
        let listDoc = RouteDoc("Job runs, newest first", tag: "jobs", parameters: [
            ParameterDoc("job", .string(maxLength: 63), "only this job"),
            ParameterDoc("status", .string(enumValues: statuses), "only this status"),
            Paging.limitParameter(default: 50),
            Paging.cursorParameter,
        ], data: .array(record))
        try routes.get("/admin/jobs", RouteOptions(access: .admin, doc: listDoc)) { request, context in
            var q = QueryParameters(request)
            q.allowOnly(["job", "status", "limit", "cursor"])
            let job = q.string("job", maxLength: 63)
            let status = q.optionalOneOf("status", statuses)
            let limit = q.pageLimit(default: 50)
            let cursor = q.cursor()
            var beforeID: Int64?
            if let c = cursor {
                if let v = c.values.first.flatMap(Int64.init), c.values.count == 1 { beforeID = v } else {
                    throw AppError.validation([FieldIssue(field: "cursor", issue: "is not a valid cursor")])
                }
            }
            try q.validate()
            let page = try jobs.list(job: job, status: status, beforeID: beforeID, limit: limit)
            let next = page.count == limit ? page.last.map { PageCursor([String($0.id)]).encoded } : nil
            return try context.success(page, meta: Paging.meta(limit: limit, next: next))
        }
        let getDoc = RouteDoc("One job run: status, progress, timings, stats, error", tag: "jobs", parameters: [idParameter], data: record)
        try routes.get("/admin/jobs/:id", RouteOptions(access: .admin, doc: getDoc)) { _, context in
            guard let record = try jobs.find(try jobID(context)) else { throw AppError.notFound("No job run with this id") }
            return try context.success(record)
        }
        let cancelDoc = RouteDoc("Cancel a queued job at once, a running one within a second", tag: "jobs", parameters: [idParameter],
                                 status: 202, data: record)
        try routes.post("/admin/jobs/:id/cancel", RouteOptions(access: .admin, doc: cancelDoc)) { _, context in
            let id = try jobID(context)
            guard let record = try jobs.cancel(id) else { throw AppError.notFound("No job run with this id") }
            guard record.cancelRequested else {
                throw AppError(.conflict, "Job run \(id) already finished as \(record.status)")
            }
            return try context.success(record, status: .accepted)
        }
    }

    static func jobID(_ context: RequestContext) throws -> Int64 {
        guard let id = Int64(try context.parameter("id")), id > 0 else {
            throw AppError.validation([FieldIssue(field: "id", issue: "must be a positive integer")])
        }
        return id
    }
}
