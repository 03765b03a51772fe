import Glibc

/// Typed reads of environment variables, for the core configuration and for each feature's
/// section; every failure is a `ConfigError` naming its variable (start-up exits with 78).
public struct ConfigReader: Sendable {
    public let env: Environment

    public init(_ env: Environment) { self.env = env }

    public func string(_ name: String) throws -> String? {
        try env.value(name).map { $0.trimmingWhitespace() }
    }

    public func int(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
        guard let s = try string(name) else { return nil }
        guard let v = Int(s) else { throw ConfigError(name, "\(s) is not an integer") }
        guard range.contains(v) else { throw ConfigError(name, "\(v) is outside \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    public func double(_ name: String, _ range: ClosedRange<Double>) throws -> Double? {
        guard let s = try string(name) else { return nil }
        guard let v = Double(s), v.isFinite else { throw ConfigError(name, "\(s) is not a number") }
        guard range.contains(v) else { throw ConfigError(name, "\(v) is outside \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    public func bool(_ name: String) throws -> Bool? {
        guard let s = try string(name)?.lowercased() else { return nil }
        switch s {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigError(name, "\(s) is not true or false")
        }
    }

    public func oneOf(_ name: String, _ allowed: [String]) throws -> String? {
        guard let s = try string(name)?.lowercased() else { return nil }
        guard allowed.contains(s) else { throw ConfigError(name, "\(s) is not one of \(allowed.joined(separator: ", "))") }
        return s
    }

    public func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) throws -> T? where T.RawValue == String {
        guard let s = try string(name)?.lowercased() else { return nil }
        guard let v = T(rawValue: s) else {
            throw ConfigError(name, "\(s) is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return v
    }

    public func list(_ name: String) throws -> [String] {
        guard let s = try string(name) else { return [] }
        return s.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    /// "250ms", "10s", "2m", "1h", or a bare number of seconds. Returns milliseconds.
    public func duration(_ name: String, allowZero: Bool = false) throws -> Int? {
        guard let s = try string(name)?.lowercased() else { return nil }
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        var number = s
        var scale = 1000.0
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            number = String(s.dropLast(suffix.count))
            scale = factor
            break
        }
        guard let v = Double(number), v.isFinite, v >= 0 else { throw ConfigError(name, "\(s) is not a duration like 500ms, 10s or 2m") }
        let ms = Int(v * scale)
        guard allowZero || ms > 0 else { throw ConfigError(name, "must be greater than zero") }
        guard ms <= 86_400_000 else { throw ConfigError(name, "must be at most 24h") }
        return ms
    }
}

/// A variable a module reads: documented in .env.example (a test keeps them in sync), listed by
/// `apiserver config` with secrets redacted.
public struct ConfigVariable: Sendable, Equatable {
    public let name: String
    public let defaultValue: String
    public let help: String
    /// Never printed (`apiserver config` shows "****").
    public let secret: Bool

    public init(_ name: String, _ defaultValue: String, _ help: String, secret: Bool = false) {
        self.name = name
        self.defaultValue = defaultValue
        self.help = help
        self.secret = secret
    }
}
