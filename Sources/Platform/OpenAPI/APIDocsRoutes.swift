import HTTPServer

/// /api/v1/openapi.json and /docs: the contract, built once from the registered routes after
/// every other route is in, and a readable page of it (server-rendered, no external assets).
public enum APIDocsRoutes {
    public static func register(_ routes: inout Routes, version: String) throws {
        let specDoc = RouteDoc("The OpenAPI 3.1 document of this API", tag: "meta", data: nil)
        let pageDoc = RouteDoc("A readable reference of every route", tag: "meta", data: nil, rawContentType: "text/html")
        // Registered first so that the document describes these two routes as well.
        let cache = DocsCache()
        try routes.get("/api/v1/openapi.json", RouteOptions(access: .public, inline: true, doc: specDoc)) { _, _ in
            Response(status: .ok, contentType: "application/json", body: cache.spec)
        }
        try routes.get("/docs", RouteOptions(access: .public, inline: true, doc: pageDoc)) { _, _ in
            var r = Response(status: .ok, contentType: "text/html; charset=utf-8", body: cache.page)
            // The page has inline styles only; nothing else may load.
            r.headers.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
            return r
        }
        // Where a person lands first: the root and the API's base path lead to the reference.
        let rootDoc = RouteDoc("Redirects to /docs, the API reference", tag: "meta", status: 302, data: nil, rawContentType: "text/plain")
        for path in ["/", "/api/v1"] {
            try routes.get(path, RouteOptions(access: .public, inline: true, doc: rootDoc)) { _, _ in
                var r = Response(status: HTTPStatus(302), contentType: "text/plain; charset=utf-8",
                                 body: Array("The API reference is at /docs; its OpenAPI document at /api/v1/openapi.json\n".utf8))
                r.headers.set("Location", "/docs")
                return r
            }
        }
        cache.fill(spec: OpenAPIDocument.build(routes.all, version: version, glossary: routes.glossary),
                   page: DocsPage.render(routes.all, glossary: routes.glossary))
    }

    /// Set once before serving starts, read by every request afterwards.
    final class DocsCache: @unchecked Sendable {
        private(set) var spec: [UInt8] = []
        private(set) var page: [UInt8] = []
        func fill(spec: [UInt8], page: [UInt8]) {
            self.spec = spec
            self.page = page
        }
    }
}

/// The /docs page: one section per tag, a row per route with who may call it and its parameters.
enum DocsPage {
    static func render(_ routes: [Route], glossary: Glossary = Glossary()) -> [UInt8] {
        var html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>apiserver API reference</title>
            <style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
            code{background:#f3f3f3;padding:0 .25rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;
            padding:.4rem;text-align:left;vertical-align:top}.m{font-weight:bold}.dep{color:#a33}</style></head><body>
            <h1>apiserver API reference</h1><p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1,
            with every field's meaning, examples and the errors of each route). Every <code>/api/v1</code> and <code>/admin</code>
            response uses the envelope <code>{"success","data"|"error","meta"}</code>; an error has a <code>code</code>, a
            <code>message</code> and <code>details</code> naming each bad field.</p>
            <h2>Authentication</h2><p>Routes for "signed in" callers take <code>Authorization: Bearer &lt;access token&gt;</code>.
            Get one: <code>POST /api/v1/auth/register</code> then <code>POST /api/v1/auth/login</code> with
            <code>{"email","password"}</code>; <code>data.access_token</code> lasts 15 minutes, and <code>POST /api/v1/auth/refresh</code>
            with <code>data.refresh_token</code> gives a new pair. <code>/admin</code> routes also take the operator token
            <code>ADMIN_API_TOKEN</code>. A 401 means no valid token, a 403 a role that may not.</p>
            <h2>Quickstart</h2><pre>TOKEN=$(curl -s -X POST http://127.0.0.1:8080/api/v1/auth/login -H 'Content-Type: application/json' \\
            -d '{"email":"me@example.com","password":"a long passphrase of mine"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["access_token"])')
            curl -s http://127.0.0.1:8080/api/v1/index/current -H "Authorization: Bearer $TOKEN"</pre>
            <p>The README's quickstart goes on through a reconciliation: project, sources, uploads, job, review, export.
            Each route below shows its fields with their meaning (? marks one that may be left out), the statuses of its
            errors (each with its code: 400 VALIDATION_ERROR, 401 UNAUTHORIZED, 403 FORBIDDEN, 404 NOT_FOUND, 409 CONFLICT,
            413 PAYLOAD_TOO_LARGE, 415 UNSUPPORTED_MEDIA_TYPE, 429 RATE_LIMITED, 503 SERVICE_UNAVAILABLE), a curl command
            with example values (path parameters are shell variables) and an example answer.</p>
            """
        let documented = OpenAPIDocument.documented(routes).filter { $0.options.doc != nil }
        var tags: [String] = []
        for r in documented where !tags.contains(r.options.doc!.tag) { tags.append(r.options.doc!.tag) }
        for tag in tags {
            html += "<h2>\(escape(tag))</h2><table><tr><th>route</th><th>who</th><th>what</th></tr>"
            for r in documented where r.options.doc!.tag == tag {
                let doc = r.options.doc!
                let who: String = switch r.options.access ?? .admin {
                case .public: "anyone"
                case .authenticated: "signed in"
                case .role(let role): role
                }
                let params = doc.parameters.map { "<code>\(escape($0.name))</code>: \(escape($0.description))" }.joined(separator: "<br>")
                var more = ""
                if let body = doc.requestBody { more += "<br><b>body</b>: " + fields(body, glossary) }
                if let data = doc.data { more += "<br><b>data</b>: " + fields(data, glossary) }
                more += "<br><b>errors</b>: " + OpenAPIDocument.errors(r, doc).map { "\($0.0)" }.joined(separator: ", ")
                more += "<br><b>example</b>: <code>\(escape(OpenAPIDocument.curl(r, doc, glossary)))</code>"
                if let data = doc.data { more += "<br><b>answers</b> \(doc.status): <code>\(escape(OpenAPIDocument.exampleEnvelope(data, glossary)))</code>" }
                html += "<tr><td><span class=\"m\">\(r.method)</span> <code>\(escape(r.pattern))</code></td><td>\(who)</td>"
                    + "<td>\(escape(doc.summary))\(r.options.deprecation != nil ? " <span class=\"dep\">(deprecated)</span>" : "")"
                    + "\(params.isEmpty ? "" : "<br>" + params)\(more)</td></tr>"
            }
            html += "</table>"
        }
        html += "</body></html>"
        return Array(html.utf8)
    }

    /// An object's fields with their meanings (an array's items'; other schemas as their type).
    static func fields(_ schema: Schema, _ glossary: Glossary) -> String {
        switch schema {
        case .array(let items, _): return "a list of " + fields(items, glossary)
        case .nullable(let inner): return fields(inner, glossary) + " or null"
        case .object(let properties, let required, _):
            return properties.map { name, _ in
                "<code>\(escape(name))</code>\(required.contains(name) ? "" : "?")" + (glossary.terms[name].map { " (" + escape($0) + ")" } ?? "")
            }.joined(separator: ", ")
        default: return "a value"
        }
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
