import Crypto

/// W3C Trace Context (https://www.w3.org/TR/trace-context/): the trace a request belongs to.
/// A valid incoming `traceparent` continues the caller's trace (its `tracestate` is passed
/// on); otherwise a new trace starts. Each request is one span of its own; its id goes back to
/// the caller in `traceparent`, into every log line, and onto outbound calls and jobs the
/// request starts (`childHeaders`).
public struct TraceContext: Sendable, Equatable {
    /// 32 lowercase hex digits.
    public let traceID: String
    /// This request's span: 16 lowercase hex digits.
    public let spanID: String
    /// The caller's span, when the trace came in.
    public let parentID: String?
    /// trace-flags (bit 0: sampled).
    public let flags: UInt8
    public let traceState: String?
    /// `traceparent` naming this request's span (for the response and for children), built
    /// once: every response carries it.
    public let traceparent: String

    /// Continues the incoming trace when `traceparent` is valid, else starts a new one.
    public init(traceparent incoming: String?, tracestate: String?) {
        if let parsed = incoming.flatMap(Self.parse) {
            traceID = parsed.traceID
            parentID = parsed.parentID
            flags = parsed.flags
            traceState = tracestate.flatMap { $0.utf8.count <= 512 && !$0.isEmpty ? $0 : nil }
        } else {
            traceID = IdentifierSource.hex(words: 2)
            parentID = nil
            flags = 0
            traceState = nil
        }
        spanID = IdentifierSource.hex(words: 1)
        traceparent = Self.header(traceID: traceID, spanID: spanID, flags: flags)
    }

    init(traceID: String, spanID: String, parentID: String?, flags: UInt8, traceState: String?) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentID = parentID
        self.flags = flags
        self.traceState = traceState
        traceparent = Self.header(traceID: traceID, spanID: spanID, flags: flags)
    }

    /// "00-<trace>-<span>-<flags>", written into the string's storage in one pass.
    static func header(traceID: String, spanID: String, flags: UInt8) -> String {
        var trace = traceID, span = spanID
        return trace.withUTF8 { t in
            span.withUTF8 { s in
                String(unsafeUninitializedCapacity: 3 + t.count + 1 + s.count + 3) { out in
                    var o = 0
                    out[0] = UInt8(ascii: "0"); out[1] = UInt8(ascii: "0"); out[2] = UInt8(ascii: "-"); o = 3
                    for b in t { out[o] = b; o += 1 }
                    out[o] = UInt8(ascii: "-"); o += 1
                    for b in s { out[o] = b; o += 1 }
                    out[o] = UInt8(ascii: "-"); o += 1
                    out[o] = Hex.digits[Int(flags >> 4)]; o += 1
                    out[o] = Hex.digits[Int(flags & 0x0F)]; o += 1
                    return o
                }
            }
        }
    }

    /// Headers for an outbound call (market data provider, S3) made on behalf of this request.
    public var childHeaders: [(String, String)] {
        var h = [("traceparent", traceparent)]
        if let traceState { h.append(("tracestate", traceState)) }
        return h
    }

    /// version "00", 32-hex trace id, 16-hex parent id, 2-hex flags; all-zero ids are invalid.
    /// A higher version is read by its first four fields, as the specification asks.
    static func parse(_ text: String) -> (traceID: String, parentID: String, flags: UInt8)? {
        let t = text.trimmingWhitespace()
        let parts = t.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, isHex(parts[0]), parts[0] != "ff" else { return nil }
        if parts[0] == "00" && parts.count != 4 { return nil }
        let trace = parts[1], parent = parts[2], flags = parts[3]
        guard trace.count == 32, parent.count == 16, flags.count == 2, isHex(trace), isHex(parent), isHex(flags),
              trace.contains(where: { $0 != "0" }), parent.contains(where: { $0 != "0" }),
              let f = UInt8(flags, radix: 16) else { return nil }
        return (String(trace), String(parent), f)
    }

    private static func isHex(_ s: Substring) -> Bool {
        s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

}
