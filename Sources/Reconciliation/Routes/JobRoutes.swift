import Foundation
import HTTPServer
import Platform
import SystemSupport

/// /api/v1/projects/:id/reconciliation-jobs: create (queued), list, status, cancel.
enum JobRoutes {
    struct NewJob: StrictDecodable {
        static let fields: Set<String> = ["name", "left_source_id", "right_source_id", "confidence_threshold", "rules"]
        var name: String?
        var leftSourceID: String
        var rightSourceID: String
        var confidenceThreshold: Double?
        var rules: RulesBody?
        enum CodingKeys: String, CodingKey {
            case name, leftSourceID = "left_source_id", rightSourceID = "right_source_id", confidenceThreshold = "confidence_threshold", rules
        }
        init(from decoder: Decoder) throws {
            try NestedFields.check(decoder, allowed: Self.fields, path: "")
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            leftSourceID = try c.decode(String.self, forKey: .leftSourceID)
            rightSourceID = try c.decode(String.self, forKey: .rightSourceID)
            confidenceThreshold = try c.decodeIfPresent(Double.self, forKey: .confidenceThreshold)
            rules = try c.decodeIfPresent(RulesBody.self, forKey: .rules)
        }
    }

    struct RulesBody: Decodable {
        struct Tolerance: Decodable {
            var absolute: String?
            var percent: Double?
            enum CodingKeys: String, CodingKey { case absolute, percent }
            init(from decoder: Decoder) throws {
                try NestedFields.check(decoder, allowed: ["absolute", "percent"], path: "rules.amount_tolerance")
                let c = try decoder.container(keyedBy: CodingKeys.self)
                absolute = try c.decodeIfPresent(String.self, forKey: .absolute)
                percent = try c.decodeIfPresent(Double.self, forKey: .percent)
            }
        }
        var amountTolerance: Tolerance?
        var dateWindowDays: Int?
        var allowGroups: Bool?
        var maxGroupSize: Int?
        enum CodingKeys: String, CodingKey {
            case amountTolerance = "amount_tolerance", dateWindowDays = "date_window_days", allowGroups = "allow_groups", maxGroupSize = "max_group_size"
        }
        static let fields: Set<String> = ["amount_tolerance", "date_window_days", "allow_groups", "max_group_size"]
        init(from decoder: Decoder) throws {
            try NestedFields.check(decoder, allowed: Self.fields, path: "rules")
            let c = try decoder.container(keyedBy: CodingKeys.self)
            amountTolerance = try c.decodeIfPresent(Tolerance.self, forKey: .amountTolerance)
            dateWindowDays = try c.decodeIfPresent(Int.self, forKey: .dateWindowDays)
            allowGroups = try c.decodeIfPresent(Bool.self, forKey: .allowGroups)
            maxGroupSize = try c.decodeIfPresent(Int.self, forKey: .maxGroupSize)
        }
    }

    static let rulesSchema = Schema.object([
        ("amount_tolerance", .object([("absolute", .string(maxLength: 24, pattern: "^[0-9]{1,10}(\\.[0-9]{1,4})?$")),
                                      ("percent", .boundedNumber(exclusiveMinimum: nil, maximum: 50))])),
        ("date_window_days", .integer(minimum: 0, maximum: 60)), ("allow_groups", .boolean), ("max_group_size", .integer(minimum: 2, maximum: 12)),
    ])
    static let job = Schema.object([
        ("id", .string(format: "uuid")), ("project_id", .string(format: "uuid")), ("name", .text), ("left_source_id", .string(format: "uuid")),
        ("right_source_id", .string(format: "uuid")), ("confidence_threshold", .number), ("rules", .anyObject),
        ("status", .string(enumValues: ["queued", "running", "completed", "failed", "cancelled"])), ("progress", .integer(minimum: 0, maximum: 100)),
        ("progress_message", .nullable(.text)), ("total_records", .nullable(.integer(minimum: 0))), ("records_processed", .integer(minimum: 0)),
        ("records", .object([("left", .integer(minimum: 0)), ("right", .integer(minimum: 0))], required: ["left", "right"])),
        ("error", .nullable(.text)), ("stats", .anyObject), ("counts", .anyObject), ("model", .nullable(.anyObject)),
        ("created_at", .dateTime), ("started_at", .nullable(.dateTime)), ("finished_at", .nullable(.dateTime)),
    ], required: ["id", "project_id", "name", "status", "progress", "created_at"])
    static let jobParameter = ParameterDoc("job_id", in: .path, .string(format: "uuid"), "the reconciliation job's id")

    static func register(_ routes: inout Routes, jobs: ReconciliationJobService) throws {
        let project = SourceRoutes.projectParameter
        try routes.post("/api/v1/projects/:id/reconciliation-jobs", RouteOptions(access: .authenticated, maxBodyBytes: 64 * 1024, doc: RouteDoc(
            "Start a reconciliation of two of the project's sources; it runs on the job queue (editors)", tag: "reconciliation",
            parameters: [project], requestBody: .object([
                ("name", .string(maxLength: 255)), ("left_source_id", .string(format: "uuid")), ("right_source_id", .string(format: "uuid")),
                ("confidence_threshold", .boundedNumber(exclusiveMinimum: nil, maximum: 1)), ("rules", rulesSchema),
            ], required: ["left_source_id", "right_source_id"]), status: 202, data: job))) { request, context in
            let projectID = try context.uuidParameter("id")
            let b = try JSONBody.decode(NewJob.self, from: request)
            var issues: [FieldIssue] = []
            let left = UUID(uuidString: b.leftSourceID), right = UUID(uuidString: b.rightSourceID)
            if left == nil { issues.append(FieldIssue(field: "left_source_id", issue: "must be a UUID")) }
            if right == nil { issues.append(FieldIssue(field: "right_source_id", issue: "must be a UUID")) }
            let threshold = b.confidenceThreshold ?? Matcher.defaultThreshold
            if !(0...1).contains(threshold) { issues.append(FieldIssue(field: "confidence_threshold", issue: "must be between 0 and 1")) }
            let name = (b.name ?? "reconciliation").trimmingWhitespace()
            if !(1...255).contains(name.unicodeScalars.count) { issues.append(FieldIssue(field: "name", issue: "must be 1 to 255 characters")) }
            let rules = validRules(b.rules, &issues)
            if !issues.isEmpty { throw AppError.validation(issues) }
            let created = try jobs.create(try context.requirePrincipal(), project: projectID, name: name, left: left!, right: right!,
                                          threshold: (threshold * 1000).rounded() / 1000, rules: rules,
                                          audit: context.auditEntry(request, action: "reconciliation.job_created", resourceType: "reconciliation_job", resourceID: nil),
                                          traceParent: context.trace.traceparent)
            var response = try context.success(JobView(job: created), status: .accepted)
            // Where to follow the job (RFC 9110 15.3.3).
            response.headers.add("Location", "/api/v1/projects/\(projectID.uuidString.lowercased())/reconciliation-jobs/\(created.id.uuidString.lowercased())")
            return response
        }
        try routes.get("/api/v1/projects/:id/reconciliation-jobs", RouteOptions(access: .authenticated, doc: RouteDoc(
            "The project's reconciliation jobs, newest first", tag: "reconciliation", parameters: [
                project, Paging.limitParameter(default: 50),
                Paging.cursorParameter,
            ], data: .array(job)))) { request, context in
            let projectID = try context.uuidParameter("id")
            var q = QueryParameters(request)
            q.allowOnly(["limit", "cursor"])
            let limit = q.pageLimit(default: 50)
            let before = q.timeAndIDCursor()
            try q.validate()
            let page = try jobs.list(try context.requirePrincipal(), project: projectID, before: before, limit: limit)
            let next = page.count == limit ? page.last.map { PageCursor([$0.cursor, $0.job.id.uuidString.lowercased()]).encoded } : nil
            return try context.success(page.map { JobView(job: $0.job) }, meta: Paging.meta(limit: limit, next: next))
        }
        try routes.get("/api/v1/projects/:id/reconciliation-jobs/:job_id", RouteOptions(access: .authenticated, doc: RouteDoc(
            "A job's status, progress, timings and counts (matched pairs and groups, unmatched per side)", tag: "reconciliation",
            parameters: [project, jobParameter], data: job))) { _, context in
            let found = try jobs.get(try context.requirePrincipal(), project: try context.uuidParameter("id"), id: try context.uuidParameter("job_id"))
            return try context.success(JobView(job: found.job, counts: found.counts))
        }
        try routes.post("/api/v1/projects/:id/reconciliation-jobs/:job_id/cancel", RouteOptions(access: .authenticated, doc: RouteDoc(
            "Cancel a queued or running job (editors; a running job stops within about a second)", tag: "reconciliation",
            parameters: [project, jobParameter], data: job))) { request, context in
            let id = try context.uuidParameter("job_id")
            let cancelled = try jobs.cancel(try context.requirePrincipal(), project: try context.uuidParameter("id"), id: id,
                                            audit: context.auditEntry(request, action: "reconciliation.job_cancelled", resourceType: "reconciliation_job",
                                                                      resourceID: id.uuidString.lowercased()))
            return try context.success(JobView(job: cancelled))
        }
    }

    static func validRules(_ body: RulesBody?, _ issues: inout [FieldIssue]) -> JobRules {
        var rules = JobRules.defaults
        guard let body else { return rules }
        if let t = body.amountTolerance {
            if let a = t.absolute {
                if let units = Amounts.units(a), units >= 0, units <= 100_000_000_000_000 { rules.amountTolerance.absolute = Amounts.text(units) } else {
                    issues.append(FieldIssue(field: "rules.amount_tolerance.absolute", issue: "must be a non-negative amount like \"0.05\""))
                }
            }
            if let p = t.percent {
                if (0...50).contains(p) { rules.amountTolerance.percent = p } else {
                    issues.append(FieldIssue(field: "rules.amount_tolerance.percent", issue: "must be between 0 and 50"))
                }
            }
        }
        if let d = body.dateWindowDays {
            if (0...60).contains(d) { rules.dateWindowDays = d } else { issues.append(FieldIssue(field: "rules.date_window_days", issue: "must be 0 to 60")) }
        }
        if let g = body.allowGroups { rules.allowGroups = g }
        if let m = body.maxGroupSize {
            if (2...12).contains(m) { rules.maxGroupSize = m } else { issues.append(FieldIssue(field: "rules.max_group_size", issue: "must be 2 to 12")) }
        }
        return rules
    }
}
