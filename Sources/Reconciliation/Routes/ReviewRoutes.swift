import Foundation
import HTTPServer
import Platform
import SystemSupport

/// Review and export of a job's results.
enum ReviewRoutes {
    struct Resolution: StrictDecodable {
        static let fields: Set<String> = ["status", "note"]
        var status: String
        var note: String?
        enum CodingKeys: String, CodingKey { case status, note }
        init(from decoder: Decoder) throws {
            try NestedFields.check(decoder, allowed: Self.fields, path: "", nullable: ["note"])
            let c = try decoder.container(keyedBy: CodingKeys.self)
            status = try c.decode(String.self, forKey: .status)
            note = try c.decodeIfPresent(String.self, forKey: .note)
        }
    }

    struct BatchItem: Decodable {
        var matchID: String
        var status: String
        var note: String?
        enum CodingKeys: String, CodingKey { case matchID = "match_id", status, note }
        init(from decoder: Decoder) throws {
            try NestedFields.check(decoder, allowed: ["match_id", "status", "note"], path: "decisions[]", nullable: ["note"])
            let c = try decoder.container(keyedBy: CodingKeys.self)
            matchID = try c.decode(String.self, forKey: .matchID)
            status = try c.decode(String.self, forKey: .status)
            note = try c.decodeIfPresent(String.self, forKey: .note)
        }
    }

    struct Batch: StrictDecodable {
        static let fields: Set<String> = ["decisions"]
        var decisions: [BatchItem]
    }

    struct ManualMatch: StrictDecodable {
        static let fields: Set<String> = ["left_ids", "right_ids", "note"]
        var leftIDs: [String]
        var rightIDs: [String]
        var note: String?
        enum CodingKeys: String, CodingKey { case leftIDs = "left_ids", rightIDs = "right_ids", note }
        init(from decoder: Decoder) throws {
            try NestedFields.check(decoder, allowed: Self.fields, path: "", nullable: ["note"])
            let c = try decoder.container(keyedBy: CodingKeys.self)
            leftIDs = try c.decode([String].self, forKey: .leftIDs)
            rightIDs = try c.decode([String].self, forKey: .rightIDs)
            note = try c.decodeIfPresent(String.self, forKey: .note)
        }
    }

    static let types = MatchKind.allCases.map(\.rawValue) + ["group"]
    static let record = Schema.object([
        ("id", .integer()), ("external_id", .text), ("date", .date), ("amount", .text), ("currency", .text), ("reference", .nullable(.text)),
        ("description", .nullable(.text)), ("counterparty", .nullable(.text)),
    ], required: ["id", "external_id", "date", "amount", "currency"])
    static let match = Schema.object([
        ("id", .string(format: "uuid")), ("type", .string(enumValues: MatchKind.allCases.map(\.rawValue))),
        ("status", .string(enumValues: ["proposed", "confirmed", "rejected"])), ("confidence", .number), ("signals", .anyObject),
        ("note", .nullable(.text)), ("left", .array(record)), ("right", .array(record)), ("reviewed_by", .nullable(.string(format: "uuid"))),
        ("reviewed_at", .nullable(.dateTime)), ("created_at", .dateTime),
    ], required: ["id", "type", "status", "confidence", "left", "right"])
    static let matchParameter = ParameterDoc("match_id", in: .path, .string(format: "uuid"), "the match's id")
    static let decisionStatus = Schema.string(enumValues: ["confirmed", "rejected", "proposed"])

    static func register(_ routes: inout Routes, review: ReviewService, export: ExportService) throws {
        let project = SourceRoutes.projectParameter, job = JobRoutes.jobParameter
        let base = "/api/v1/projects/:id/reconciliation-jobs/:job_id"
        try routes.get("\(base)/matches", RouteOptions(access: .authenticated, doc: RouteDoc(
            "The job's matches, highest confidence first, with their records and signals", tag: "reconciliation", parameters: [
                project, job, ParameterDoc("status", .string(enumValues: ["proposed", "confirmed", "rejected"]), "only matches with this review status"),
                ParameterDoc("min_confidence", .boundedNumber(exclusiveMinimum: nil, maximum: 1), "only matches at least this confident"),
                ParameterDoc("type", .string(enumValues: types), "only this type (group: one_to_many and many_to_one)"),
                Paging.limitParameter(default: 100),
                Paging.cursorParameter,
            ], data: .array(match)))) { request, context in
            let projectID = try context.uuidParameter("id"), jobID = try context.uuidParameter("job_id")
            var q = QueryParameters(request)
            q.allowOnly(["status", "min_confidence", "type", "limit", "cursor"])
            let status = q.optionalOneOf("status", ["proposed", "confirmed", "rejected"])
            let type = q.optionalOneOf("type", types)
            let limit = q.pageLimit(default: 100)
            var minConfidence: Double?
            if let raw = q.raw("min_confidence") {
                if let v = Double(raw), (0...1).contains(v) { minConfidence = v } else {
                    q.record(FieldIssue(field: "min_confidence", issue: "must be a number from 0 to 1"))
                }
            }
            var after: (String, UUID)?
            if let c = q.cursor() {
                if c.values.count == 2, Double(c.values[0]) != nil, c.values[0].utf8.count <= 12, let id = UUID(uuidString: c.values[1]) { after = (c.values[0], id) } else {
                    q.record(FieldIssue(field: "cursor", issue: "is not a valid cursor; use the next_cursor of a previous page"))
                }
            }
            try q.validate()
            let kinds = type.map { $0 == "group" ? ["one_to_many", "many_to_one"] : [$0] }
            let page = try review.matches(try context.requirePrincipal(), project: projectID, job: jobID, status: status, minConfidence: minConfidence,
                                          kinds: kinds, after: after, limit: limit)
            let next = page.count == limit ? page.last.map { PageCursor([$0.match.confidence, $0.match.id.uuidString.lowercased()]).encoded } : nil
            return try context.success(page.map(MatchView.init), meta: Paging.meta(limit: limit, next: next))
        }
        try routes.get("\(base)/unmatched", RouteOptions(access: .authenticated, doc: RouteDoc(
            "Records of one side in no match of the job (or only in rejected ones)", tag: "reconciliation", parameters: [
                project, job, ParameterDoc("side", .string(enumValues: ["left", "right"]), "which source (default left)"),
                Paging.limitParameter(default: 100),
                Paging.cursorParameter,
            ], data: .array(record)))) { request, context in
            let projectID = try context.uuidParameter("id"), jobID = try context.uuidParameter("job_id")
            var q = QueryParameters(request)
            q.allowOnly(["side", "limit", "cursor"])
            let side = q.oneOf("side", ["left", "right"], default: "left")
            let limit = q.pageLimit(default: 100)
            var after: Int64?
            if let c = q.cursor() {
                if c.values.count == 1, let id = Int64(c.values[0]), id >= 0 { after = id } else {
                    q.record(FieldIssue(field: "cursor", issue: "is not a valid cursor; use the next_cursor of a previous page"))
                }
            }
            try q.validate()
            let rows = try review.unmatched(try context.requirePrincipal(), project: projectID, job: jobID, side: side, afterID: after, limit: limit)
            let next = rows.count == limit ? rows.last.map { PageCursor([String($0.id)]).encoded } : nil
            return try context.success(rows.map { RecordView($0) }, meta: Paging.meta(limit: limit, next: next))
        }
        try routes.patch("\(base)/matches/:match_id", RouteOptions(access: .authenticated, maxBodyBytes: 64 * 1024, doc: RouteDoc(
            "Confirm or reject a proposed match, with a note (editors; audited)", tag: "reconciliation", parameters: [project, job, matchParameter],
            requestBody: .object([("status", decisionStatus), ("note", .nullable(.string(maxLength: 4000)))], required: ["status"]),
            data: match))) { request, context in
            let projectID = try context.uuidParameter("id"), jobID = try context.uuidParameter("job_id"), matchID = try context.uuidParameter("match_id")
            let b = try JSONBody.decode(Resolution.self, from: request)
            let decision = try validDecision(matchID, b.status, b.note, field: "")
            let done = try review.resolve(try context.requirePrincipal(), project: projectID, job: jobID, decisions: [decision], audit: { d in
                context.auditEntry(request, action: "reconciliation.match_\(d.status)", resourceType: "match", resourceID: d.matchID.uuidString.lowercased())
            })
            return try context.success(MatchView(match: done[0]))
        }
        try routes.post("\(base)/batch-resolve", RouteOptions(access: .authenticated, maxBodyBytes: 1 << 20, doc: RouteDoc(
            "Many decisions in one transaction: all are applied or none, and every problem is named (editors; audited)", tag: "reconciliation",
            parameters: [project, job], requestBody: .object([("decisions", .array(.object([
                ("match_id", .string(format: "uuid")), ("status", decisionStatus), ("note", .nullable(.string(maxLength: 4000))),
            ], required: ["match_id", "status"]), maxItems: 1000))], required: ["decisions"]),
            data: .object([("resolved", .integer(minimum: 0)), ("matches", .array(match))], required: ["resolved", "matches"])))) { request, context in
            let projectID = try context.uuidParameter("id"), jobID = try context.uuidParameter("job_id")
            let b = try JSONBody.decode(Batch.self, from: request)
            guard (1...1000).contains(b.decisions.count) else {
                throw AppError.validation([FieldIssue(field: "decisions", issue: "must hold 1 to 1000 decisions")])
            }
            var issues: [FieldIssue] = []
            var decisions: [Decision] = []
            for (i, item) in b.decisions.enumerated() {
                guard let id = UUID(uuidString: item.matchID) else {
                    issues.append(FieldIssue(field: "decisions[\(i)].match_id", issue: "must be a UUID"))
                    continue
                }
                do { decisions.append(try validDecision(id, item.status, item.note, field: "decisions[\(i)].")) } catch let e as AppError {
                    issues += e.details
                }
            }
            if !issues.isEmpty { throw AppError.validation(issues, message: "\(issues.count) decisions are invalid; none was applied") }
            let done = try review.resolve(try context.requirePrincipal(), project: projectID, job: jobID, decisions: decisions, audit: { d in
                context.auditEntry(request, action: "reconciliation.match_\(d.status)", resourceType: "match", resourceID: d.matchID.uuidString.lowercased())
            })
            return try context.success(BatchView(matches: done))
        }
        try routes.post("\(base)/matches", RouteOptions(access: .authenticated, maxBodyBytes: 64 * 1024, doc: RouteDoc(
            "Match chosen records by hand (external ids of each side); confirmed at once (editors; audited)", tag: "reconciliation",
            parameters: [project, job], requestBody: .object([
                ("left_ids", .array(.string(maxLength: 255), maxItems: 50)), ("right_ids", .array(.string(maxLength: 255), maxItems: 50)),
                ("note", .nullable(.string(maxLength: 4000))),
            ], required: ["left_ids", "right_ids"]), status: 201, data: match))) { request, context in
            let projectID = try context.uuidParameter("id"), jobID = try context.uuidParameter("job_id")
            let b = try JSONBody.decode(ManualMatch.self, from: request)
            var issues: [FieldIssue] = []
            for (field, ids) in [("left_ids", b.leftIDs), ("right_ids", b.rightIDs)] {
                if !(1...50).contains(ids.count) { issues.append(FieldIssue(field: field, issue: "must hold 1 to 50 external ids")) }
                if Set(ids).count != ids.count { issues.append(FieldIssue(field: field, issue: "must not repeat an id")) }
                if ids.contains(where: { $0.isEmpty || $0.unicodeScalars.count > 255 }) { issues.append(FieldIssue(field: field, issue: "ids must be 1 to 255 characters")) }
            }
            if let n = b.note, n.unicodeScalars.count > 4000 { issues.append(FieldIssue(field: "note", issue: "must be at most 4000 characters")) }
            if !issues.isEmpty { throw AppError.validation(issues) }
            let created = try review.manual(try context.requirePrincipal(), project: projectID, job: jobID, leftIDs: b.leftIDs, rightIDs: b.rightIDs, note: b.note,
                                            audit: context.auditEntry(request, action: "reconciliation.match_manual", resourceType: "match", resourceID: nil))
            return try context.success(MatchView(match: created), status: .created)
        }
        try routes.get("\(base)/export", RouteOptions(access: .authenticated, timeoutMs: 0, doc: RouteDoc(
            "The job's results as one streamed CSV or JSON document (matches with the files' external ids, unmatched per side)", tag: "reconciliation",
            parameters: [project, job, ParameterDoc("format", .string(enumValues: ["csv", "json"]), "default json")],
            data: nil, rawContentType: "application/json"))) { request, context in
            let projectID = try context.uuidParameter("id"), jobID = try context.uuidParameter("job_id")
            var q = QueryParameters(request)
            q.allowOnly(["format"])
            let format = q.oneOf("format", ["csv", "json"], default: "json")
            try q.validate()
            // Compressed as it streams when the client takes gzip (about a tenth of the size).
            let gzip = CompressionMiddleware.acceptsGzip(request.headers.values("Accept-Encoding"))
            let stream = try export.export(try context.requirePrincipal(), project: projectID, job: jobID, json: format == "json", gzip: gzip)
            var response = Response(status: .ok, contentType: format == "json" ? "application/json" : "text/csv; charset=utf-8", stream: stream)
            response.headers.add("Content-Disposition", "attachment; filename=\"reconciliation-\(jobID.uuidString.lowercased()).\(format)\"")
            response.headers.add("Vary", "Accept-Encoding")
            if gzip { response.headers.set("Content-Encoding", "gzip") }
            return response
        }
    }

    static func validDecision(_ id: UUID, _ status: String, _ note: String?, field prefix: String) throws -> Decision {
        var issues: [FieldIssue] = []
        if !["confirmed", "rejected", "proposed"].contains(status) { issues.append(FieldIssue(field: "\(prefix)status", issue: "must be confirmed, rejected or proposed")) }
        if let note, note.unicodeScalars.count > 4000 { issues.append(FieldIssue(field: "\(prefix)note", issue: "must be at most 4000 characters")) }
        if !issues.isEmpty { throw AppError.validation(issues) }
        return Decision(matchID: id, status: status, note: note)
    }
}

struct BatchView: Encodable {
    let matches: [ReviewedMatch]
    enum CodingKeys: String, CodingKey { case resolved, matches }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(matches.count, forKey: .resolved)
        try c.encode(matches.map(MatchView.init), forKey: .matches)
    }
}
