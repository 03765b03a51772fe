import HTTPServer
import FoundationEssentials

/// The uniform response envelope:
/// `{"success":true,"data":...,"meta":{"request_id":...}}` or
/// `{"success":false,"error":{"code","message","details"},"meta":{"request_id":...}}`.
public enum Envelope {
    static let jsonContentType = "application/json; charset=utf-8"

    /// A success envelope around already-encoded JSON `data`. `meta` values are raw JSON.
    public static func success(dataJSON: [UInt8], requestID: String, meta: [(String, String)] = [],
                               status: HTTPStatus = .ok) -> Response {
        var out: [UInt8] = []
        out.reserveCapacity(dataJSON.count + 96)
        JSONWriter.appendRaw("{\"success\":true,\"data\":", to: &out)
        out.append(contentsOf: dataJSON)
        appendMeta(requestID: requestID, meta: meta, to: &out)
        out.append(UInt8(ascii: "}"))
        return Response(status: status, contentType: jsonContentType, body: out)
    }

    /// A success envelope around an Encodable value.
    public static func success<T: Encodable>(_ data: T, requestID: String, meta: [(String, String)] = [],
                                             status: HTTPStatus = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return success(dataJSON: Array(try encoder.encode(data)), requestID: requestID, meta: meta, status: status)
    }

    public static func error(_ e: AppError, requestID: String) -> Response {
        var out: [UInt8] = []
        out.reserveCapacity(160)
        JSONWriter.appendRaw("{\"success\":false,\"error\":{\"code\":", to: &out)
        JSONWriter.appendString(e.code.rawValue, to: &out)
        JSONWriter.appendRaw(",\"message\":", to: &out)
        JSONWriter.appendString(e.message, to: &out)
        JSONWriter.appendRaw(",\"details\":[", to: &out)
        for (i, d) in e.details.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendRaw("{\"field\":", to: &out)
            JSONWriter.appendString(d.field, to: &out)
            JSONWriter.appendRaw(",\"issue\":", to: &out)
            JSONWriter.appendString(d.issue, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        JSONWriter.appendRaw("]}", to: &out)
        appendMeta(requestID: requestID, meta: [], to: &out)
        out.append(UInt8(ascii: "}"))
        var response = Response(status: e.status, contentType: jsonContentType, body: out)
        for (name, value) in e.headers { response.headers.set(name, value) }
        return response
    }

    private static func appendMeta(requestID: String, meta: [(String, String)], to out: inout [UInt8]) {
        JSONWriter.appendRaw(",\"meta\":{\"request_id\":", to: &out)
        JSONWriter.appendString(requestID, to: &out)
        for (k, v) in meta {
            out.append(UInt8(ascii: ","))
            JSONWriter.appendString(k, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONWriter.appendRaw(v, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}
