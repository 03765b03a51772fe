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

    public static func build(_ routes: [Route], version: String, glossary: Glossary = Glossary()) -> [UInt8] {
        var byPath: [(String, [Route])] = []
        for r in documented(routes) {
            let path = openAPIPath(r.pattern)
            if let i = byPath.firstIndex(where: { $0.0 == path }) { byPath[i].1.append(r) } else { byPath.append((path, [r])) }
        }
        var paths: [String] = []
        for (path, list) in byPath {
            let operations = list.compactMap { r -> String? in
                guard let doc = r.options.doc else { return nil }
                return "\(quote(r.method.description.lowercased())):\(operation(r, doc, glossary))"
            }
            paths.append("\(quote(path)):{\(operations.joined(separator: ","))}")
        }
        let text = """
            {"openapi":"3.1.0","info":{"title":"apiserver","version":\(quote(version)),\
            "description":"Investment index, simulation, accounts and reconciliation API. Every /api/v1 and /admin response uses the envelope; errors carry a code and field-level details."},\
            "servers":[{"url":"/","description":"this server (the document is served by the API it describes)"}],\
            "components":{"securitySchemes":{"bearer":{"type":"http","scheme":"bearer","bearerFormat":"JWT","description":"an access token from POST /api/v1/auth/login (15 minutes; renew it with POST /api/v1/auth/refresh), or ADMIN_API_TOKEN for /admin"}}},\
            "paths":{\(paths.joined(separator: ","))}}
            """
        return Array(text.utf8)
    }

    static func operation(_ r: Route, _ doc: RouteDoc, _ glossary: Glossary) -> String {
        var parts = ["\"summary\":\(quote(doc.summary))", "\"tags\":[\(quote(doc.tag))]",
                     "\"operationId\":\(quote(operationID(r)))", "\"x-curl\":\(quote(curl(r, doc, glossary)))"]
        if !doc.parameters.isEmpty {
            let params = doc.parameters.map { p in
                "{\"name\":\(quote(p.name)),\"in\":\"\(p.location.rawValue)\",\"required\":\(p.required),"
                    + "\"description\":\(quote(p.description)),\"schema\":\(p.schema.json())}"
            }
            parts.append("\"parameters\":[\(params.joined(separator: ","))]")
        }
        if let body = doc.requestBody {
            parts.append("\"requestBody\":{\"required\":true,\"content\":{\"application/json\":{\"schema\":\(body.json(glossary, nullableOptionals: true)),\"example\":\(body.example(glossary))}}}")
        } else if !doc.requestContentTypes.isEmpty {
            let types = doc.requestContentTypes.map { "\(quote($0)):{\"schema\":{\"type\":\"string\"}}" }.joined(separator: ",")
            parts.append("\"requestBody\":{\"required\":true,\"content\":{\(types)}}")
        }
        let access = r.options.access ?? .admin
        parts.append(access == .public ? "\"security\":[]" : "\"security\":[{\"bearer\":[]}]")
        if r.options.deprecation != nil { parts.append("\"deprecated\":true") }
        let success: String
        if let data = doc.data {
            success = "{\"description\":\(quote(doc.summary)),\"content\":{\"application/json\":{\"schema\":\(successEnvelope(data).json(glossary)),"
                + "\"example\":\(exampleEnvelope(data, glossary))}}}"
        } else {
            let type = doc.rawContentType ?? "application/json"
            let schema = type.hasPrefix("application/json") ? "{\"type\":\"object\"}" : "{\"type\":\"string\"}"
            success = "{\"description\":\(quote(doc.summary)),\"content\":{\(quote(type)):{\"schema\":\(schema)}}}"
        }
        let successes = ([doc.status] + doc.otherStatuses).map { "\"\($0)\":\(success)" }.joined(separator: ",")
        let failures = errors(r, doc).map { status, meaning in
            "\"\(status)\":{\"description\":\(quote(meaning)),\"content\":{\"application/json\":{\"schema\":\(errorEnvelope.json(glossary))}}}"
        }.joined(separator: ",")
        let failure = "{\"description\":\"An error in the envelope\",\"content\":{\"application/json\":{\"schema\":\(errorEnvelope.json(glossary))}}}"
        parts.append("\"responses\":{\(successes),\(failures),\"default\":\(failure)}")
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// The errors a route can answer, from what it declares: its input, who may call it, its
    /// path. Every one comes in the error envelope with its code (README: error codes).
    static func errors(_ r: Route, _ doc: RouteDoc) -> [(Int, String)] {
        var out: [(Int, String)] = []
        if !doc.parameters.isEmpty || doc.requestBody != nil || !doc.requestContentTypes.isEmpty {
            out.append((400, "VALIDATION_ERROR: a parameter or the body is invalid; details name each field"))
        }
        if r.options.access != .public {
            out.append((401, "UNAUTHORIZED: no valid access token (Authorization: Bearer <token>)"))
            out.append((403, "FORBIDDEN: the caller's role does not allow it"))
        }
        if r.pattern.contains(":") { out.append((404, "NOT_FOUND: no such resource, or one the caller may not see")) }
        if doc.requestBody != nil || !doc.requestContentTypes.isEmpty {
            out.append((413, "PAYLOAD_TOO_LARGE: the body is over the route's limit"))
            out.append((415, "UNSUPPORTED_MEDIA_TYPE: the body is not of an accepted type"))
        }
        out.append((429, "RATE_LIMITED: too many requests; Retry-After says when to try again"))
        out.append((503, "SERVICE_UNAVAILABLE or DATABASE_UNAVAILABLE: the server is draining or a dependency is down; retry later"))
        return out
    }

    static func exampleEnvelope(_ data: Schema, _ glossary: Glossary) -> String {
        "{\"success\":true,\"data\":\(data.example(glossary)),\"meta\":{\"request_id\":\"3b0f6a52-9c1d-4e8a-b7f2-5d6e7f8a9b0c\"}}"
    }

    /// A curl command calling the route (the example body, a token where one is needed).
    static func curl(_ r: Route, _ doc: RouteDoc, _ glossary: Glossary) -> String {
        // Path parameters as shell variables: /api/v1/projects/$ID/sources.
        var path = r.pattern.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "$" + $0.dropFirst().uppercased() : String($0) }.joined(separator: "/")
        let query = doc.parameters.filter { $0.location == .query && $0.required }.map { "\($0.name)=..." }
        if !query.isEmpty { path += "?" + query.joined(separator: "&") }
        var command = "curl -s"
        if r.method != .GET { command += " -X \(r.method)" }
        command += " \"http://127.0.0.1:8080\(path)\""
        if r.options.access != .public { command += " -H \"Authorization: Bearer $TOKEN\"" }
        if let body = doc.requestBody {
            command += " -H 'Content-Type: application/json' -d '\(body.example(glossary))'"
        } else if let type = doc.requestContentTypes.first {
            command += " -H 'Content-Type: \(type)' --data-binary @file"
        }
        return command
    }

    static func operationID(_ r: Route) -> String {
        let words = r.pattern.split(separator: "/").map { $0.hasPrefix(":") ? "by_" + $0.dropFirst() : String($0) }
        let name = words.joined(separator: "_").map { $0 == "-" || $0 == "." ? "_" : $0 }
        return r.method.description.lowercased() + "_" + String(name)
    }
}
