/// A JSON Schema (the 2020-12 dialect OpenAPI 3.1 uses), written in Swift beside the route it
/// describes and rendered into the OpenAPI document.
public indirect enum Schema: Sendable {
    case string(format: String? = nil, enumValues: [String]? = nil, maxLength: Int? = nil, pattern: String? = nil)
    case integer(minimum: Int? = nil, maximum: Int? = nil)
    case number
    case boolean
    case array(Schema, maxItems: Int? = nil)
    /// Properties in order; `required` names those always present.
    case object([(String, Schema)], required: [String] = [], additional: Bool = false)
    /// Any JSON value of this schema, or null.
    case nullable(Schema)
    /// Any JSON object (free-form).
    case anyObject
    /// A number within bounds.
    case boundedNumber(exclusiveMinimum: Double?, maximum: Double?)
    /// Any of these schemas (a value given as a string or a number).
    case anyOf([Schema])

    public static let text = Schema.string()
    public static let dateTime = Schema.string(format: "date-time")
    public static let date = Schema.string(format: "date")

    /// The schema as JSON text, each object property with its glossary description. With
    /// `nullableOptionals` (request bodies), a property that is not required also takes null:
    /// the decoder reads an explicit null as the property left out, and the contract says so.
    func json(_ glossary: Glossary? = nil, nullableOptionals: Bool = false) -> String {
        switch self {
        case .string(let format, let values, let maxLength, let pattern):
            var parts = ["\"type\":\"string\""]
            if let format { parts.append("\"format\":\(quote(format))") }
            if let values { parts.append("\"enum\":[\(values.map(quote).joined(separator: ","))]") }
            if let maxLength { parts.append("\"maxLength\":\(maxLength)") }
            if let pattern { parts.append("\"pattern\":\(quote(pattern))") }
            return "{" + parts.joined(separator: ",") + "}"
        case .integer(let minimum, let maximum):
            var parts = ["\"type\":\"integer\""]
            if let minimum { parts.append("\"minimum\":\(minimum)") }
            if let maximum { parts.append("\"maximum\":\(maximum)") }
            return "{" + parts.joined(separator: ",") + "}"
        case .number: return "{\"type\":\"number\"}"
        case .boolean: return "{\"type\":\"boolean\"}"
        case .array(let items, let maxItems):
            return "{\"type\":\"array\",\"items\":\(items.json(glossary, nullableOptionals: nullableOptionals))\(maxItems.map { ",\"maxItems\":\($0)" } ?? "")}"
        case .object(let properties, let required, let additional):
            let props = properties.map { name, schema in
                var text = schema.json(glossary, nullableOptionals: nullableOptionals)
                if nullableOptionals, !required.contains(name), !schema.isNullable { text = "{\"anyOf\":[\(text),{\"type\":\"null\"}]}" }
                guard let meaning = glossary?.terms[name] else { return "\(quote(name)):\(text)" }
                return "\(quote(name)):{\"description\":\(quote(meaning)),\(text.dropFirst())"
            }.joined(separator: ",")
            let req = required.isEmpty ? "" : ",\"required\":[\(required.map(quote).joined(separator: ","))]"
            return "{\"type\":\"object\",\"properties\":{\(props)}\(req),\"additionalProperties\":\(additional)}"
        case .nullable(let inner):
            return "{\"anyOf\":[\(inner.json(glossary, nullableOptionals: nullableOptionals)),{\"type\":\"null\"}]}"
        case .anyObject:
            return "{\"type\":\"object\"}"
        case .boundedNumber(let low, let high):
            return "{\"type\":\"number\"" + (low.map { ",\"exclusiveMinimum\":\($0)" } ?? "") + (high.map { ",\"maximum\":\($0)" } ?? "") + "}"
        case .anyOf(let options):
            return "{\"anyOf\":[\(options.map { $0.json(glossary, nullableOptionals: nullableOptionals) }.joined(separator: ","))]}"
        }
    }
}

extension Schema {
    var isNullable: Bool { if case .nullable = self { return true } else { return false } }

    /// An example value (JSON text) for this schema: the glossary's example for the property's
    /// name when it has one, else one made from the type (the first allowed value, the lower
    /// bound, a sample date or UUID). Objects list every property.
    func example(_ glossary: Glossary, name: String? = nil) -> String {
        if let name, let e = glossary.examples[name] { return e }
        switch self {
        case .string(let format, let values, _, _):
            if let first = values?.first { return quote(first) }
            switch format {
            case "uuid": return quote("6f1c2b7e-3d4a-4c5b-9e8f-0a1b2c3d4e5f")
            case "date": return quote("2024-01-31")
            case "date-time": return quote("2024-01-31T09:30:00.000Z")
            default: return quote(name.map { "a " + String($0.map { $0 == "_" ? " " : $0 }) } ?? "text")
            }
        case .integer(let minimum, let maximum): return String(max(minimum ?? 1, min(maximum ?? 1, 1)))
        case .number: return "1.5"
        case .boolean: return "true"
        case .array(let items, _): return "[" + items.example(glossary) + "]"
        case .object(let properties, _, _):
            return "{" + properties.map { "\(quote($0.0)):\($0.1.example(glossary, name: $0.0))" }.joined(separator: ",") + "}"
        case .nullable(let inner): return inner.example(glossary, name: name)
        case .anyObject: return "{}"
        case .boundedNumber(let low, let high): return "\(min(high ?? 10, max((low ?? 0) + 1, 10)))"
        case .anyOf(let options): return options.first?.example(glossary, name: name) ?? "null"
        }
    }
}

func quote(_ s: String) -> String {
    var out: [UInt8] = []
    JSONWriter.appendString(s, to: &out)
    return String(decoding: out, as: UTF8.self)
}

/// A query, path or header parameter.
public struct ParameterDoc: Sendable {
    public enum Location: String, Sendable { case query, path, header }
    public let name: String
    public let location: Location
    public let required: Bool
    public let schema: Schema
    public let description: String

    public init(_ name: String, in location: Location = .query, required: Bool = false, _ schema: Schema, _ description: String) {
        self.name = name
        self.location = location
        self.required = required || location == .path
        self.schema = schema
        self.description = description
    }
}

/// What a route does, for the OpenAPI document and /docs. Every route outside /__test must
/// have one (a test enforces it).
public struct RouteDoc: Sendable {
    public let summary: String
    public let tag: String
    public let parameters: [ParameterDoc]
    /// The JSON body it accepts, if any.
    public let requestBody: Schema?
    /// Media types of a raw (non-JSON) body it accepts instead, e.g. text/csv uploads.
    public let requestContentTypes: [String]
    /// The success status and the schema of `data` in the success envelope (nil: not an
    /// envelope, described by `rawContentType`).
    public let status: Int
    public let data: Schema?
    public let rawContentType: String?

    /// Other success statuses with the same body (e.g. 200 when asked to wait, 202 otherwise).
    public let otherStatuses: [Int]

    public init(_ summary: String, tag: String, parameters: [ParameterDoc] = [], requestBody: Schema? = nil, status: Int = 200,
                otherStatuses: [Int] = [], data: Schema?, rawContentType: String? = nil, requestContentTypes: [String] = []) {
        self.otherStatuses = otherStatuses
        self.requestContentTypes = requestContentTypes
        self.summary = summary
        self.tag = tag
        self.parameters = parameters
        self.requestBody = requestBody
        self.status = status
        self.data = data
        self.rawContentType = rawContentType
    }
}
