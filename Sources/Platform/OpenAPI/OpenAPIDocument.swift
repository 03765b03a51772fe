import HTTPServer

/// The OpenAPI 3.1 document, built once at start-up from the routes' own declarations (their
/// `RouteDoc`, access and deprecation): what is served is what is registered.
public enum OpenAPIDocument {
    static let errorEnvelope = Schema.object([
        ("success", .boolean),
        ("error", .object([("code", .text), ("message", .text),
                           ("details", .array(.object([("field", .text), ("issue", .text)], required: ["field", "issue"])))],
                          required: ["code", "message"])),
        ("meta", .object([("request_id", .text)], required: ["request_id"], additional: true)),
    ], required: ["success", "error", "meta"])

    static func successEnvelope(_ data: Schema) -> Schema {
        .object([("success", .boolean), ("data", data),
                 ("meta", .object([("request_id", .text)], required: ["request_id"], additional: true))],
                required: ["success", "data", "meta"])
    }

    /// Routes the document covers: all but the diagnostic /__test ones.
    public static func documented(_ routes: [Route]) -> [Route] { routes.filter { !$0.pattern.hasPrefix("/__test") } }

    /// "/admin/jobs/:id" -> "/admin/jobs/{id}".
    static func openAPIPath(_ pattern: String) -> String {
        pattern.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
    }

    public static func build(_ routes: [Route], version: String) -> [UInt8] {
        var byPath: [(String, [Route])] = []
        for r in documented(routes) {
            let path = openAPIPath(r.pattern)
            if let i = byPath.firstIndex(where: { $0.0 == path }) { byPath[i].1.append(r) } else { byPath.append((path, [r])) }
        }
        var paths: [String] = []
        for (path, list) in byPath {
            let operations = list.compactMap { r -> String? in
                guard let doc = r.options.doc else { return nil }
                return "\(quote(r.method.description.lowercased())):\(operation(r, doc))"
            }
            paths.append("\(quote(path)):{\(operations.joined(separator: ","))}")
        }
        let text = """
            {"openapi":"3.1.0","info":{"title":"apiserver","version":\(quote(version)),\
            "description":"Investment index, simulation, accounts and reconciliation API. Every /api/v1 and /admin response uses the envelope; errors carry a code and field-level details."},\
            "components":{"securitySchemes":{"bearer":{"type":"http","scheme":"bearer"}}},\
            "paths":{\(paths.joined(separator: ","))}}
            """
        return Array(text.utf8)
    }

    static func operation(_ r: Route, _ doc: RouteDoc) -> String {
        var parts = ["\"summary\":\(quote(doc.summary))", "\"tags\":[\(quote(doc.tag))]",
                     "\"operationId\":\(quote(operationID(r)))"]
        if !doc.parameters.isEmpty {
            let params = doc.parameters.map { p in
                "{\"name\":\(quote(p.name)),\"in\":\"\(p.location.rawValue)\",\"required\":\(p.required),"
                    + "\"description\":\(quote(p.description)),\"schema\":\(p.schema.json())}"
            }
            parts.append("\"parameters\":[\(params.joined(separator: ","))]")
        }
        if let body = doc.requestBody {
            parts.append("\"requestBody\":{\"required\":true,\"content\":{\"application/json\":{\"schema\":\(body.json())}}}")
        } else if !doc.requestContentTypes.isEmpty {
            let types = doc.requestContentTypes.map { "\(quote($0)):{\"schema\":{\"type\":\"string\"}}" }.joined(separator: ",")
            parts.append("\"requestBody\":{\"required\":true,\"content\":{\(types)}}")
        }
        let access = r.options.access ?? .admin
        parts.append(access == .public ? "\"security\":[]" : "\"security\":[{\"bearer\":[]}]")
        if r.options.deprecation != nil { parts.append("\"deprecated\":true") }
        let success: String
        if let data = doc.data {
            success = "{\"description\":\(quote(doc.summary)),\"content\":{\"application/json\":{\"schema\":\(successEnvelope(data).json())}}}"
        } else {
            let type = doc.rawContentType ?? "application/json"
            let schema = type.hasPrefix("application/json") ? "{\"type\":\"object\"}" : "{\"type\":\"string\"}"
            success = "{\"description\":\(quote(doc.summary)),\"content\":{\(quote(type)):{\"schema\":\(schema)}}}"
        }
        let failure = "{\"description\":\"An error in the envelope\",\"content\":{\"application/json\":{\"schema\":\(errorEnvelope.json())}}}"
        let successes = ([doc.status] + doc.otherStatuses).map { "\"\($0)\":\(success)" }.joined(separator: ",")
        parts.append("\"responses\":{\(successes),\"default\":\(failure)}")
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func operationID(_ r: Route) -> String {
        let words = r.pattern.split(separator: "/").map { $0.hasPrefix(":") ? "by_" + $0.dropFirst() : String($0) }
        let name = words.joined(separator: "_").map { $0 == "-" || $0 == "." ? "_" : $0 }
        return r.method.description.lowercased() + "_" + String(name)
    }
}
