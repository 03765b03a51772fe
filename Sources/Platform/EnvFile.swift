/// `NAME=value` files (`.env`): what scripts/run and the CLI read beside the process
/// environment, so a command run in the checkout uses the settings of the server started there.
/// Blank lines and `#` comments are skipped, an `export ` prefix is allowed, and a value may be
/// wrapped in single or double quotes (taken as they are, no expansion). A line that is none of
/// these is an error naming it: a mistyped setting must not be silently dropped.
public enum EnvFile {
    public struct Failure: Error, CustomStringConvertible {
        public let path: String
        public let line: Int
        public var description: String { "\(path), line \(line): not NAME=value" }
    }

    public static func parse(_ text: String, path: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw.hasSuffix("\r") ? raw.dropLast() : raw[...]
            line = line.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst(7).drop { $0 == " " } }
            guard let eq = line.firstIndex(of: "=") else { throw Failure(path: path, line: n + 1) }
            let name = String(line[..<eq])
            guard let first = name.first, first == "_" || first.isLetter, name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }) else {
                throw Failure(path: path, line: n + 1)
            }
            var value = line[line.index(after: eq)...]
            if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
                value = value.dropFirst().dropLast()
            } else {
                while let last = value.last, last == " " || last == "\t" { value = value.dropLast() }
            }
            out[name] = String(value)
        }
        return out
    }
}
