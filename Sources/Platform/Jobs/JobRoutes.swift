import HTTPServer

/// GET /admin/jobs?job&status&limit&cursor, GET /admin/jobs/:id, POST /admin/jobs/:id/cancel.
enum JobRoutes {
    static let statuses = ["queued", "running", "succeeded", "failed", "skipped", "cancelled"]

    static func register(_ routes: inout Routes, jobs: JobRunner) throws {
        try routes.get("/admin/jobs", RouteOptions(access: .admin)) { request, context in
            var q = QueryParameters(request)
            q.allowOnly(["job", "status", "limit", "cursor"])
            let job = q.string("job", maxLength: 63)
            let status = q.list("status", allowed: statuses, maxItems: 1).first
            let limit = q.int("limit", default: 50, in: 1...500)
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
            return try context.success(page, meta: next.map { [("next_cursor", "\"\($0)\"")] } ?? [])
        }
        try routes.get("/admin/jobs/:id", RouteOptions(access: .admin)) { _, context in
            guard let record = try jobs.find(try jobID(context)) else { throw AppError.notFound("No job run with this id") }
            return try context.success(record)
        }
        try routes.post("/admin/jobs/:id/cancel", RouteOptions(access: .admin)) { _, context in
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
