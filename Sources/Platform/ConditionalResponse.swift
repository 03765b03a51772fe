import Crypto
import HTTPServer
import SystemSupport

/// A read response's data, encoded once and identified by a strong validator, so cached reads
/// cost no encoding and a client revalidating with If-None-Match gets 304 with no body.
public struct CachedBody: Sendable {
    public let dataJSON: [UInt8]
    /// Raw-JSON meta members (pagination) that belong to the representation.
    public let meta: [(String, String)]
    /// A strong ETag: the SHA-256 of the data and meta, quoted.
    public let etag: String

    public init(dataJSON: [UInt8], meta: [(String, String)] = []) {
        self.dataJSON = dataJSON
        self.meta = meta
        var bytes = dataJSON
        for (k, v) in meta { bytes += Array("\u{0}\(k)\u{0}\(v)".utf8) }
        etag = "\"" + String(SHA256.hex(bytes).prefix(32)) + "\""
    }
}

public enum ConditionalResponse {
    /// RFC 9110 13.1.2: If-None-Match uses the weak comparison, and "*" matches any current representation.
    public static func matches(_ headerValues: [String], etag: String) -> Bool {
        let opaque = etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
        for value in headerValues {
            for raw in value.split(separator: ",") {
                let tag = String(raw).trimmingWhitespace()
                if tag == "*" { return true }
                let candidate = tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag
                if candidate == opaque { return true }
            }
        }
        return false
    }

    /// 304 when the client's copy is current, else the envelope around the cached data; both
    /// carry the ETag and `cacheControl`.
    public static func respond(_ body: CachedBody, request: Request, context: RequestContext,
                               cacheControl: String = "private, max-age=60") -> Response {
        var response: Response
        if matches(request.headers.values("If-None-Match"), etag: body.etag) {
            response = Response(status: .notModified)
        } else {
            response = Envelope.success(dataJSON: body.dataJSON, requestID: context.requestID, meta: body.meta)
        }
        response.headers.set("ETag", body.etag)
        response.headers.set("Cache-Control", cacheControl)
        return response
    }
}
