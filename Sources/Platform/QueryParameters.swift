import HTTPServer

/// Typed access to a request's query string. Each accessor records a field-level issue
/// instead of throwing, so a request with several bad parameters learns about all of them;
/// `validate()` throws one VALIDATION_ERROR listing every issue. Values out of range are
/// refused, never clamped silently, and nothing here can trap on any input.
///
///     var q = QueryParameters(request)
///     let limit = q.int("limit", default: 100, in: 1...1000)
///     try q.validate()
public struct QueryParameters {
    private let items: [(name: String, value: String)]
    public private(set) var issues: [FieldIssue] = []

    public init(_ request: Request) { items = request.queryItems }

    /// The first value given for `name`, if any.
    public func raw(_ name: String) -> String? { items.first { $0.name == name }?.value }

    /// An integer within `range`; `default` when absent.
    public mutating func int(_ name: String, default fallback: Int, in range: ClosedRange<Int>) -> Int {
        optionalInt(name, in: range) ?? fallback
    }

    /// An integer within `range`, or nil when absent (or invalid, with an issue recorded).
    public mutating func optionalInt(_ name: String, in range: ClosedRange<Int>) -> Int? {
        guard let text = raw(name) else { return nil }
        guard let value = Int(text) else {
            issues.append(FieldIssue(field: name, issue: "must be an integer"))
            return nil
        }
        guard range.contains(value) else {
            issues.append(FieldIssue(field: name, issue: "must be between \(range.lowerBound) and \(range.upperBound)"))
            return nil
        }
        return value
    }

    /// One of a fixed set of words; `default` when absent.
    public mutating func oneOf(_ name: String, _ allowed: [String], default fallback: String) -> String {
        guard let text = raw(name) else { return fallback }
        guard allowed.contains(text) else {
            issues.append(FieldIssue(field: name, issue: "must be one of: \(allowed.joined(separator: ", "))"))
            return fallback
        }
        return text
    }

    /// true/false (also 1/0); `default` when absent.
    public mutating func bool(_ name: String, default fallback: Bool) -> Bool {
        guard let text = raw(name) else { return fallback }
        switch text {
        case "true", "1": return true
        case "false", "0": return false
        default:
            issues.append(FieldIssue(field: name, issue: "must be true or false"))
            return fallback
        }
    }

    /// Throws VALIDATION_ERROR naming every bad parameter.
    public func validate() throws {
        if !issues.isEmpty { throw AppError.validation(issues, message: "Invalid query parameters") }
    }
}
