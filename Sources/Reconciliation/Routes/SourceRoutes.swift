import Foundation
import HTTPServer
import Platform
import SystemSupport

/// /api/v1/projects/:id/sources, their uploads and the preview.
enum SourceRoutes {
    static let kinds = ["ledger", "bank", "erp", "payment_processor", "card", "other"]

    struct NewSource: StrictDecodable {
        static let fields: Set<String> = ["name", "kind", "mapping", "options"]
        var name: String
        var kind: String
        var mapping: [String: String]
        var options: [String: String?]?
        enum CodingKeys: String, CodingKey { case name, kind, mapping, options }
        init(from decoder: Decoder) throws {
            try NestedFields.check(decoder, allowed: Self.fields, path: "")
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            kind = try c.decode(String.self, forKey: .kind)
            mapping = try c.decode([String: String].self, forKey: .mapping)
            options = try c.decodeIfPresent([String: String?].self, forKey: .options)
        }
    }

    struct SourcePatch: StrictDecodable {
        static let fields: Set<String> = ["name", "kind", "mapping", "options"]
        var name: String?
        var kind: String?
        var mapping: [String: String]?
        var options: [String: String?]?
        enum CodingKeys: String, CodingKey { case name, kind, mapping, options }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            for key in [CodingKeys.name, .kind, .mapping, .options] where c.contains(key) {
                if try c.decodeNil(forKey: key) { throw AppError.validation([FieldIssue(field: key.rawValue, issue: "must not be null")]) }
            }
            name = try c.decodeIfPresent(String.self, forKey: .name)
            kind = try c.decodeIfPresent(String.self, forKey: .kind)
            mapping = try c.decodeIfPresent([String: String].self, forKey: .mapping)
            options = try c.decodeIfPresent([String: String?].self, forKey: .options)
        }
    }

    static let header = Schema.string(maxLength: 255)
    static let mappingSchema = Schema.object(SourceSettings.Mapping.fields.map { ($0, header) }, required: ["date"])
    static let optionsSchema = Schema.object([
        ("delimiter", .string(enumValues: ["auto", ",", ";", "\t", "|"])), ("date_format", .string(enumValues: DateFormat.allCases.map(\.rawValue))),
        ("decimal_separator", .string(enumValues: ["auto", ".", ","])), ("thousands_separator", .nullable(.string(enumValues: [",", ".", " ", "'", ""]))),
        ("sign_convention", .string(enumValues: ["as-is", "flipped"])), ("default_currency", .nullable(.string(pattern: "^[A-Z]{3}$"))),
    ])
    static let source = Schema.object([
        ("id", .string(format: "uuid")), ("project_id", .string(format: "uuid")), ("name", .text), ("kind", .string(enumValues: kinds)),
        ("mapping", .object(SourceSettings.Mapping.fields.map { ($0, .nullable(.text)) })), ("options", .anyObject),
        ("record_count", .integer(minimum: 0)), ("upload_count", .integer(minimum: 0)), ("created_at", .dateTime), ("updated_at", .dateTime),
    ], required: ["id", "project_id", "name", "kind", "mapping", "options", "record_count", "upload_count", "created_at", "updated_at"])
    static let dialect = Schema.object([("delimiter", .text), ("date_format", .text), ("decimal_separator", .text)])
    static let upload = Schema.object([
        ("id", .string(format: "uuid")), ("source_id", .string(format: "uuid")), ("file_name", .text), ("size_bytes", .integer(minimum: 0)),
        ("content_type", .text), ("sha256", .text), ("row_count", .integer(minimum: 0)), ("uploaded_by", .string(format: "uuid")),
        ("created_at", .dateTime), ("dialect", dialect), ("replaced_upload_id", .nullable(.string(format: "uuid"))),
    ], required: ["id", "source_id", "file_name", "size_bytes", "sha256", "row_count", "created_at"])
    static let projectParameter = ParameterDoc("id", in: .path, .string(format: "uuid"), "the project's id")
    static let sourceParameter = ParameterDoc("source_id", in: .path, .string(format: "uuid"), "the data source's id")
    static let uploadTypes = ["text/csv", "text/plain", "application/csv", "multipart/form-data"]

    static func register(_ routes: inout Routes, sources: SourceService, uploads: UploadService, uploadMaxBytes: Int) throws {
        let body = 64 * 1024
        try routes.post("/api/v1/projects/:id/sources", RouteOptions(access: .authenticated, maxBodyBytes: body, doc: RouteDoc(
            "Add a data source: which CSV header holds each field, and the file dialect (editors)", tag: "reconciliation",
            parameters: [projectParameter],
            requestBody: .object([("name", .string(maxLength: 255)), ("kind", .string(enumValues: kinds)), ("mapping", mappingSchema), ("options", optionsSchema)],
                                 required: ["name", "kind", "mapping"]), status: 201, data: source))) { request, context in
            let project = try context.uuidParameter("id")
            let b = try JSONBody.decode(NewSource.self, from: request)
            let name = try validName(b.name)
            let kind = try validKind(b.kind)
            let settings = try validSettings(mapping: b.mapping, options: b.options, base: nil)
            let created = try sources.create(try context.requirePrincipal(), project: project, name: name, kind: kind, settings: settings,
                                             audit: context.auditEntry(request, action: "reconciliation.source_created", resourceType: "data_source", resourceID: nil))
            return try context.success(SourceView(source: created), status: .created)
        }
        try routes.get("/api/v1/projects/:id/sources", RouteOptions(access: .authenticated, doc: RouteDoc(
            "The project's data sources, oldest first", tag: "reconciliation", parameters: [
                projectParameter, Paging.limitParameter(default: 50),
                Paging.cursorParameter,
            ], data: .array(source)))) { request, context in
            let project = try context.uuidParameter("id")
            var q = QueryParameters(request)
            q.allowOnly(["limit", "cursor"])
            let limit = q.pageLimit(default: 50)
            let after = q.timeAndIDCursor()
            try q.validate()
            let page = try sources.list(try context.requirePrincipal(), project: project, after: after, limit: limit)
            let next = page.count == limit ? page.last.map { PageCursor([$0.cursor, $0.source.id.uuidString.lowercased()]).encoded } : nil
            return try context.success(page.map { SourceView(source: $0.source) }, meta: Paging.meta(limit: limit, next: next))
        }
        try routes.get("/api/v1/projects/:id/sources/:source_id", RouteOptions(access: .authenticated, doc: RouteDoc(
            "One data source", tag: "reconciliation", parameters: [projectParameter, sourceParameter], data: source))) { _, context in
            try context.success(SourceView(source: try sources.get(try context.requirePrincipal(), project: try context.uuidParameter("id"),
                                                                   id: try context.uuidParameter("source_id"))))
        }
        try routes.patch("/api/v1/projects/:id/sources/:source_id", RouteOptions(access: .authenticated, maxBodyBytes: body, doc: RouteDoc(
            "Change a source's name, kind, mapping or options (editors); later uploads read with the new settings", tag: "reconciliation",
            parameters: [projectParameter, sourceParameter],
            requestBody: .object([("name", .string(maxLength: 255)), ("kind", .string(enumValues: kinds)), ("mapping", mappingSchema), ("options", optionsSchema)]),
            data: source))) { request, context in
            let project = try context.uuidParameter("id"), id = try context.uuidParameter("source_id")
            let b = try JSONBody.decode(SourcePatch.self, from: request)
            let name = try b.name.map(validName)
            let kind = try b.kind.map(validKind)
            guard b.name != nil || b.kind != nil || b.mapping != nil || b.options != nil else {
                throw AppError.validation([FieldIssue(field: "body", issue: "give name, kind, mapping or options")])
            }
            let updated = try sources.update(try context.requirePrincipal(), project: project, id: id, name: name, kind: kind, settings: { current in
                guard b.mapping != nil || b.options != nil else { return nil }
                return try validSettings(mapping: b.mapping, options: b.options, base: current)
            }, audit: context.auditEntry(request, action: "reconciliation.source_updated", resourceType: "data_source", resourceID: id.uuidString.lowercased()))
            return try context.success(SourceView(source: updated))
        }
        try routes.delete("/api/v1/projects/:id/sources/:source_id", RouteOptions(access: .authenticated, doc: RouteDoc(
            "Delete a data source and retire its records (editors; soft)", tag: "reconciliation", parameters: [projectParameter, sourceParameter],
            data: .object([("deleted", .boolean)], required: ["deleted"])))) { request, context in
            let id = try context.uuidParameter("source_id")
            try sources.delete(try context.requirePrincipal(), project: try context.uuidParameter("id"), id: id,
                               audit: context.auditEntry(request, action: "reconciliation.source_deleted", resourceType: "data_source", resourceID: id.uuidString.lowercased()))
            return try context.success(["deleted": true])
        }
        try registerUploads(&routes, uploads: uploads, uploadMaxBytes: uploadMaxBytes)
    }

    static func registerUploads(_ routes: inout Routes, uploads: UploadService, uploadMaxBytes: Int) throws {
        try routes.post("/api/v1/projects/:id/sources/:source_id/uploads", RouteOptions(
            access: .authenticated, maxBodyBytes: uploadMaxBytes, timeoutMs: UploadService.uploadTimeoutMs, streamsBody: true, doc: RouteDoc(
                "Upload a CSV file (text/csv, or multipart/form-data with a file part) into the source: parsed as it streams, stored whole or not at all (editors)",
                tag: "reconciliation", parameters: [
                    projectParameter, sourceParameter,
                    ParameterDoc("replace", .boolean, "replace an earlier upload of the same file (otherwise 409)"),
                    ParameterDoc("file_name", .string(maxLength: 255), "the file's name when the body is not multipart (default upload.csv)"),
                ], status: 201, data: upload, requestContentTypes: uploadTypes))) { request, context in
            let project = try context.uuidParameter("id"), source = try context.uuidParameter("source_id")
            var q = QueryParameters(request)
            q.allowOnly(["replace", "file_name"])
            let replace = q.bool("replace", default: false)
            let name = q.string("file_name", maxLength: 255)
            try q.validate()
            let upload = try uploadBody(request, fileName: name)
            let result = try uploads.upload(try context.requirePrincipal(), project: project, source: source, body: upload, replace: replace,
                                            audit: context.auditEntry(request, action: "reconciliation.upload_created", resourceType: "uploaded_file", resourceID: nil))
            return try context.success(UploadView(upload: result.upload, dialect: result.dialect, replaced: result.replaced), status: .created)
        }
        try routes.get("/api/v1/projects/:id/sources/:source_id/uploads", RouteOptions(access: .authenticated, doc: RouteDoc(
            "The source's uploads, newest first (at most 200)", tag: "reconciliation", parameters: [projectParameter, sourceParameter],
            data: .array(upload)))) { _, context in
            let list = try uploads.list(try context.requirePrincipal(), project: try context.uuidParameter("id"), source: try context.uuidParameter("source_id"))
            return try context.success(list.map { UploadView(upload: $0) })
        }
        try routes.post("/api/v1/projects/:id/sources/:source_id/preview", RouteOptions(
            access: .authenticated, maxBodyBytes: uploadMaxBytes, timeoutMs: 60_000, streamsBody: true, doc: RouteDoc(
                "The first 20 rows of a CSV as the source's mapping reads them, with the detected dialect; nothing is stored", tag: "reconciliation",
                parameters: [projectParameter, sourceParameter],
                data: .object([("header", .array(.text)), ("dialect", .nullable(dialect)), ("rows", .array(.anyObject)), ("issues", .array(.anyObject))],
                              required: ["header", "rows", "issues"]), requestContentTypes: uploadTypes))) { request, context in
            let project = try context.uuidParameter("id"), source = try context.uuidParameter("source_id")
            var q = QueryParameters(request)
            q.allowOnly([])
            try q.validate()
            let preview = try uploads.preview(try context.requirePrincipal(), project: project, source: source, body: try uploadBody(request, fileName: nil))
            return try context.success(PreviewView(preview: preview))
        }
    }

    /// The body as an upload: its media type decides between plain CSV and multipart.
    static func uploadBody(_ request: Request, fileName: String?) throws -> UploadBody {
        let contentType = request.headers["Content-Type"] ?? ""
        let media = contentType.split(separator: ";").first.map { String($0).trimmingWhitespace().lowercased() } ?? ""
        let stream = request.bodyStream
        let read: () throws -> [UInt8]? = { try stream?.read() }
        if media == "multipart/form-data" {
            guard let extractor = MultipartFileExtractor(contentType: contentType) else {
                throw AppError.validation([FieldIssue(field: "Content-Type", issue: "multipart/form-data needs a boundary parameter")])
            }
            return UploadBody(read: read, multipart: extractor, fileName: fileName ?? "upload.csv", contentType: "multipart/form-data")
        }
        guard ["text/csv", "text/plain", "application/csv", "text/tab-separated-values", "application/vnd.ms-excel"].contains(media) else {
            throw AppError(.unsupportedMediaType, "Send the file as text/csv (or multipart/form-data with a file part)")
        }
        return UploadBody(read: read, multipart: nil, fileName: fileName ?? "upload.csv", contentType: media)
    }

    static func validName(_ raw: String) throws -> String {
        let name = raw.trimmingWhitespace()
        guard (1...255).contains(name.unicodeScalars.count), !name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw AppError.validation([FieldIssue(field: "name", issue: "must be 1 to 255 characters (not only spaces, no control characters)")])
        }
        return name
    }

    static func validKind(_ k: String) throws -> String {
        guard kinds.contains(k) else { throw AppError.validation([FieldIssue(field: "kind", issue: "must be one of: \(kinds.joined(separator: ", "))")]) }
        return k
    }

    /// Mapping and options from the body over `base` (a PATCH changes only what it names).
    static func validSettings(mapping: [String: String]?, options: [String: String?]?, base: SourceSettings?) throws -> SourceSettings {
        var issues: [FieldIssue] = []
        var settings = base ?? SourceSettings(mapping: .init())
        if let mapping {
            for key in mapping.keys.sorted() where !SourceSettings.Mapping.fields.contains(key) {
                issues.append(FieldIssue(field: "mapping.\(key)", issue: "is not a field (fields: \(SourceSettings.Mapping.fields.joined(separator: ", ")))"))
            }
            settings.mapping = SourceSettings.Mapping(id: mapping["id"], date: mapping["date"], amount: mapping["amount"], debit: mapping["debit"],
                                                      credit: mapping["credit"], currency: mapping["currency"], reference: mapping["reference"],
                                                      description: mapping["description"], counterparty: mapping["counterparty"])
        }
        if let options {
            for key in options.keys.sorted() where !SourceSettings.Options.fields.contains(key) {
                issues.append(FieldIssue(field: "options.\(key)", issue: "is not an option"))
            }
            var o = base?.options ?? SourceSettings.Options()
            func required(_ key: String) -> String? {
                guard let v = options[key] else { return nil }
                if v == nil { issues.append(FieldIssue(field: "options.\(key)", issue: "must not be null")) }
                return v
            }
            if let v = required("delimiter") { o.delimiter = v }
            if let v = required("date_format") { o.dateFormat = v }
            if let v = required("decimal_separator") { o.decimalSeparator = v }
            if let v = required("sign_convention") { o.signConvention = v }
            if let v = options["thousands_separator"] { o.thousandsSeparator = v }
            if let v = options["default_currency"] { o.defaultCurrency = v }
            settings.options = o
        }
        issues += settings.problems().map { FieldIssue(field: $0.0, issue: $0.1) }
        if !issues.isEmpty { throw AppError.validation(issues) }
        return settings
    }
}
