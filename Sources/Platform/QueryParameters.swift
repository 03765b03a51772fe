import FoundationEssentials
import HTTPServer
import Postgres
import Crypto

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

    /// One of a fixed set of words, or nil when absent; an empty value is refused too.
    public mutating func optionalOneOf(_ name: String, _ allowed: [String]) -> String? {
        guard let text = raw(name) else { return nil }
        guard allowed.contains(text) else {
            issues.append(FieldIssue(field: name, issue: "must be one of: \(allowed.joined(separator: ", "))"))
            return nil
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

    /// Text of at most `maxLength` characters (Unicode code points, as JSON Schema counts
    /// them), or nil when absent.
    public mutating func string(_ name: String, maxLength: Int = 200) -> String? {
        guard let text = raw(name) else { return nil }
        guard text.unicodeScalars.count <= maxLength else {
            issues.append(FieldIssue(field: name, issue: "must be at most \(maxLength) characters"))
            return nil
        }
        return text
    }

    /// A calendar date written YYYY-MM-DD (a real day: 2023-02-29 is refused), or nil.
    public mutating func date(_ name: String) -> PostgresDate? {
        guard let text = raw(name) else { return nil }
        guard let d = CalendarDate.parse(text) else {
            issues.append(FieldIssue(field: name, issue: "must be a date like 2024-01-31"))
            return nil
        }
        return d
    }

    /// A date range from two parameters; `from` after `to` is refused.
    public mutating func dateRange(from fromName: String = "from", to toName: String = "to") -> (from: PostgresDate?, to: PostgresDate?) {
        let from = date(fromName), to = date(toName)
        if let f = from, let t = to, t < f { issues.append(FieldIssue(field: toName, issue: "must not be before \(fromName)")) }
        return (from, to)
    }

    /// `from`/`to` with older names still read (deprecated aliases): giving both a name and
    /// its alias is refused.
    public mutating func dateRange(aliases: (from: String, to: String)) -> (from: PostgresDate?, to: PostgresDate?) {
        let present = Set(items.map(\.name))
        for (name, alias) in [("from", aliases.from), ("to", aliases.to)] where present.contains(name) && present.contains(alias) {
            issues.append(FieldIssue(field: alias, issue: "is the old name of \(name); give one of them"))
        }
        let fromName = present.contains(aliases.from) ? aliases.from : "from"
        let toName = present.contains(aliases.to) ? aliases.to : "to"
        return dateRange(from: fromName, to: toName)
    }

    /// A comma-separated list (repeated parameters are joined), each item from `allowed` when
    /// given, at most `maxItems`, duplicates dropped.
    public mutating func list(_ name: String, allowed: [String]? = nil, maxItems: Int = 100) -> [String] {
        let items = self.items.filter { $0.name == name }.flatMap { $0.value.split(separator: ",") }
            .map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
        var seen = Set<String>()
        let unique = items.filter { seen.insert($0).inserted }
        if unique.count > maxItems { issues.append(FieldIssue(field: name, issue: "must have at most \(maxItems) items")) }
        if let allowed, let bad = unique.first(where: { !allowed.contains($0) }) {
            issues.append(FieldIssue(field: name, issue: "\(bad) is not one of: \(allowed.joined(separator: ", "))"))
        }
        return Array(unique.prefix(maxItems))
    }

    /// A keyset-pagination cursor made by `PageCursor.encode`, or nil when absent.
    public mutating func cursor(_ name: String = "cursor") -> PageCursor? {
        guard let text = raw(name) else { return nil }
        guard let c = PageCursor(encoded: text) else {
            issues.append(FieldIssue(field: name, issue: "is not a valid cursor; use the next_cursor of a previous page"))
            return nil
        }
        return c
    }

    /// A keyset cursor of (timestamp text, UUID), the position after the last row of a page
    /// ordered by creation time and id; nil when absent or invalid (then an issue is recorded).
    public mutating func timeAndIDCursor(_ name: String = "cursor") -> (String, UUID)? {
        guard let c = cursor(name) else { return nil }
        if c.values.count == 2, c.values[0].utf8.count <= 40, let id = UUID(uuidString: c.values[1]) { return (c.values[0], id) }
        issues.append(FieldIssue(field: name, issue: "is not a valid cursor; use the next_cursor of a previous page"))
        return nil
    }

    /// Records an issue for every parameter not in `names`: a misspelt filter must not be
    /// silently ignored.
    public mutating func allowOnly(_ names: Set<String>) {
        for item in items where !names.contains(item.name) && !issues.contains(where: { $0.field == item.name }) {
            issues.append(FieldIssue(field: item.name, issue: "is not a known parameter"))
        }
    }

    /// Records an issue found by the caller's own check (a pattern, a cross-field rule).
    public mutating func record(_ issue: FieldIssue) { issues.append(issue) }

    /// Throws VALIDATION_ERROR naming every bad parameter.
    public func validate() throws {
        if !issues.isEmpty { throw AppError.validation(issues, message: "Invalid query parameters") }
    }
}
