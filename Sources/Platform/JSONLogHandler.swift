import Glibc
import Logging

/// A swift-log handler writing one JSON object per line:
/// `{"ts":"2026-11-22T10:00:00.123Z","level":"info","msg":"...","request_id":"...",...}`.
/// With `pretty: false` it writes the same fields as `key=value` text for humans.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: LogSink
    private let json: Bool

    public init(label: String, level: Logger.Level, sink: LogSink = .standardOutput, json: Bool = true) {
        self.label = label
        self.logLevel = level
        self.sink = sink
        self.json = json
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var out: [UInt8] = []
        out.reserveCapacity(256)
        if json {
            JSONWriter.appendRaw("{\"ts\":\"", to: &out)
            LogTimestamp.append(to: &out)
            JSONWriter.appendRaw("\",\"level\":\"\(event.level.rawValue)\",\"msg\":", to: &out)
            JSONWriter.appendString(event.message.description, to: &out)
            for key in merged.keys.sorted() {
                out.append(UInt8(ascii: ","))
                JSONWriter.appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                Self.appendValue(merged[key]!, to: &out)
            }
            out.append(contentsOf: "}\n".utf8)
        } else {
            LogTimestamp.append(to: &out)
            out.append(contentsOf: " \(event.level.rawValue.uppercased()) \(event.message)".utf8)
            for key in merged.keys.sorted() { out.append(contentsOf: " \(key)=\(merged[key]!)".utf8) }
            out.append(0x0A)
        }
        sink.write(out, urgent: event.level >= .error)
    }

    private static func appendValue(_ v: Logger.Metadata.Value, to out: inout [UInt8]) {
        switch v {
        case .string(let s):
            // Numbers and booleans recorded as strings stay strings: the schema stays stable.
            JSONWriter.appendString(s, to: &out)
        case .stringConvertible(let c):
            if let i = c as? any BinaryInteger { JSONWriter.appendRaw("\(i)", to: &out) }
            else if let d = c as? Double, d.isFinite { JSONWriter.appendRaw("\(d)", to: &out) }
            else if let b = c as? Bool { JSONWriter.appendRaw(b ? "true" : "false", to: &out) }
            else { JSONWriter.appendString(c.description, to: &out) }
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendValue(e, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .dictionary(let d):
            out.append(UInt8(ascii: "{"))
            for (i, k) in d.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(k, to: &out)
                out.append(UInt8(ascii: ":"))
                appendValue(d[k]!, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
