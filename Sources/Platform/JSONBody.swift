import FoundationEssentials
import SystemSupport
import HTTPServer

/// A request body type that names its fields, so that unknown fields are refused instead of
/// silently ignored (a misspelt optional field would otherwise vanish without a word).
public protocol StrictDecodable: Decodable {
    static var fields: Set<String> { get }
}

/// Decoding JSON request bodies into values, with errors a client can act on.
public enum JSONBody {
    /// Decodes the body as `T`:
    /// - 415 UNSUPPORTED_MEDIA_TYPE unless Content-Type is application/json (or +json);
    /// - 400 VALIDATION_ERROR for malformed JSON, a missing field, a wrong type or a null, with
    ///   the field's path ("items[2].amount") in `details`;
    /// - for `StrictDecodable` types, 400 naming every unknown top-level field;
    /// - 400 naming every string (key or value) that holds U+0000, which PostgreSQL text
    ///   cannot store, and every key given twice in one object.
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request) throws -> T {
        let contentType = (request.headers["Content-Type"] ?? "").lowercased()
        let mediaType = contentType.split(separator: ";").first.map { String($0).trimmingWhitespace() } ?? ""
        guard mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json")) else {
            throw AppError(.unsupportedMediaType, "Send the body as application/json")
        }
        guard !request.body.isEmpty else {
            throw AppError.validation([FieldIssue(field: "body", issue: "is required")], message: "The request body is empty")
        }
        if let strict = T.self as? any StrictDecodable.Type {
            guard let keys = TopLevelKeys.scan(request.body) else {
                try refuseMalformed(request.body)
                throw AppError.validation([FieldIssue(field: "body", issue: "must be a JSON object")], message: "The body is not a JSON object")
            }
            let unknown = keys.filter { !strict.fields.contains($0) }
            if !unknown.isEmpty {
                throw AppError.validation(unknown.map { FieldIssue(field: $0, issue: "is not a known field") },
                                          message: "The body has unknown fields")
            }
        }
        // PostgreSQL text cannot hold U+0000, and a key given twice leaves which value counts
        // to the parser: both refused here, by field, before anything is stored.
        if let found = JSONPaths.scan(request.body) {
            if !found.stringsWithNUL.isEmpty {
                throw AppError.validation(found.stringsWithNUL.map { FieldIssue(field: $0, issue: "must not contain the NUL character (\\u0000)") },
                                          message: "Text cannot contain the NUL character")
            }
            if !found.duplicateKeys.isEmpty {
                throw AppError.validation(found.duplicateKeys.map { FieldIssue(field: $0, issue: "appears more than once") },
                                          message: "The body names a field twice")
            }
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(request.body))
        } catch let e as DecodingError {
            if case .dataCorrupted(let ctx) = e, ctx.codingPath.isEmpty {
                try refuseMalformed(request.body)
                if let culprit = numberIssue(T.self, request.body) {
                    throw AppError.validation([culprit], message: "The body does not match the expected shape")
                }
            }
            throw AppError.validation([issue(e)], message: "The body does not match the expected shape")
        }
    }

    /// A body that is not well-formed JSON: 400 saying where it stops being JSON.
    static func refuseMalformed(_ body: [UInt8]) throws {
        var stopped: Int?
        guard JSONPaths.scan(body, stoppedAt: { stopped = $0 }) == nil, let offset = stopped else { return }
        let (line, column) = JSONPaths.position(body, offset)
        throw AppError.validation([FieldIssue(field: "body", issue: "is not valid JSON (line \(line), column \(column))")],
                                  message: "The body is not valid JSON from line \(line), column \(column)")
    }

    /// Most numbers a decode may refuse without saying where; each is tried in turn.
    static let maxNumberProbes = 32

    /// The decoder refuses a well-formed body without a path when a number does not fit its
    /// field (1.5 for an integer, 2^63, 1e999999). Finds that number: one that is infinite as a
    /// Double is wrong for any field; otherwise each number that is not a plain Int64 is
    /// replaced by 0 in turn, and the one whose replacement gets past this failure is it.
    static func numberIssue<T: Decodable>(_ type: T.Type, _ body: [UInt8]) -> FieldIssue? {
        guard let numbers = JSONPaths.numbers(body) else { return nil }
        func field(_ n: JSONPaths.Number) -> String { n.path.isEmpty ? "body" : n.path }
        if let huge = numbers.first(where: { !JSONPaths.isFiniteDouble(body[$0.range]) }) {
            return FieldIssue(field: field(huge), issue: "is out of range")
        }
        let suspects = numbers.filter { !JSONPaths.isInt64(body[$0.range]) }
        for n in suspects.prefix(maxNumberProbes) {
            var probe = body
            probe.replaceSubrange(n.range, with: [UInt8(ascii: "0")])
            do {
                _ = try JSONDecoder().decode(T.self, from: Data(probe))
            } catch let e as DecodingError {
                if case .dataCorrupted(let ctx) = e, ctx.codingPath.isEmpty { continue }
            } catch {}
            let text = String(decoding: body[n.range], as: UTF8.self)
            let integral = !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
            return FieldIssue(field: field(n), issue: integral ? "is out of range" : "must be an integer")
        }
        return suspects.count == 1 ? FieldIssue(field: field(suspects[0]), issue: "is out of range") : nil
    }

    static func issue(_ e: DecodingError) -> FieldIssue {
        func path(_ p: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = p + (last.map { [$0] } ?? [])
            var out = ""
            for k in keys {
                if let i = k.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + k.stringValue }
            }
            return out.isEmpty ? "body" : out
        }
        switch e {
        case .keyNotFound(let key, let ctx): return FieldIssue(field: path(ctx.codingPath, key), issue: "is required")
        case .valueNotFound(_, let ctx): return FieldIssue(field: path(ctx.codingPath), issue: "must not be null")
        case .typeMismatch(let type, let ctx): return FieldIssue(field: path(ctx.codingPath), issue: "must be \(describe(type))")
        case .dataCorrupted(let ctx):
            return ctx.codingPath.isEmpty ? FieldIssue(field: "body", issue: "is not valid JSON")
                                          : FieldIssue(field: path(ctx.codingPath), issue: "has an invalid value")
        @unknown default: return FieldIssue(field: "body", issue: "is invalid")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type, is Decimal.Type: "a number"
        case is Bool.Type: "true or false"
        default: String(describing: type).hasPrefix("Array") ? "an array" : String(describing: type).hasPrefix("Dictionary") ? "an object" : "a valid value"
        }
    }
}

/// The keys of a top-level JSON object, without decoding the values. Nil when the input is
/// not an object (the decoder then reports the precise problem).
enum TopLevelKeys {
    static func scan(_ b: [UInt8]) -> [String]? {
        var i = 0
        func skipSpace() { while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 } }
        func string() -> String? {
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            var bytes: [UInt8] = []
            while i < b.count, b[i] != UInt8(ascii: "\"") {
                if b[i] == UInt8(ascii: "\\") { bytes.append(b[i]); i += 1 }
                if i < b.count { bytes.append(b[i]); i += 1 }
            }
            guard i < b.count else { return nil }
            i += 1
            return String(decoding: bytes, as: UTF8.self)
        }
        func skipValue() -> Bool {
            skipSpace()
            guard i < b.count else { return false }
            if b[i] == UInt8(ascii: "\"") { return string() != nil }
            var depth = 0
            while i < b.count {
                switch b[i] {
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    if depth == 0 { return true }
                    depth -= 1
                case UInt8(ascii: ","): if depth == 0 { return true }
                case UInt8(ascii: "\""): if string() == nil { return false }; continue
                default: break
                }
                i += 1
            }
            return depth == 0
        }
        skipSpace()
        guard i < b.count, b[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var keys: [String] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { return keys }
        while true {
            skipSpace()
            guard let key = string() else { return nil }
            keys.append(key)
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            guard skipValue() else { return nil }
            skipSpace()
            guard i < b.count else { return nil }
            if b[i] == UInt8(ascii: "}") { return keys }
            guard b[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
    }
}

/// Unknown fields in a nested object of a request body (top-level ones are caught by
/// `StrictDecodable`): 400 naming each as "path.field".
public enum NestedFields {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Also refuses an explicit null for any field not in `nullable` (absent is fine).
    public static func check(_ decoder: Decoder, allowed: Set<String>, path: String, nullable: Set<String> = []) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
        let unknown = c.allKeys.map(\.stringValue).filter { !allowed.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw AppError.validation(unknown.map { FieldIssue(field: name($0), issue: "is not a known field") }, message: "The body has unknown fields")
        }
        let nulls = try c.allKeys.filter { try !nullable.contains($0.stringValue) && (try c.decodeNil(forKey: $0)) }.map(\.stringValue).sorted()
        if !nulls.isEmpty { throw AppError.validation(nulls.map { FieldIssue(field: name($0), issue: "must not be null") }) }
    }
}
