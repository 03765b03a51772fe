import Crypto

/// W3C Trace Context (https://www.w3.org/TR/trace-context/): the trace a request belongs to.
/// A valid incoming `traceparent` continues the caller's trace (its `tracestate` is passed
/// on); otherwise a new trace starts. Each request is one span of its own; its id goes back to
/// the caller in `traceparent`, into every log line, and onto outbound calls and jobs the
/// request starts (`childHeaders`).
public struct TraceContext: Sendable, Equatable {
    /// `traceparent` naming this request's span, "00-<trace>-<span>-<flags>" (for the
    /// response and for children), built once: every response carries it. The trace and span
    /// ids are read out of it, so a request that logs nothing builds one string, not three.
    public let traceparent: String
    /// The caller's span, when the trace came in.
    public let parentID: String?
    /// trace-flags (bit 0: sampled).
    public let flags: UInt8
    public let traceState: String?

    /// 32 lowercase hex digits.
    public var traceID: String { String(decoding: traceparent.utf8.dropFirst(3).prefix(32), as: UTF8.self) }
    /// This request's span: 16 lowercase hex digits.
    public var spanID: String { String(decoding: traceparent.utf8.dropFirst(36).prefix(16), as: UTF8.self) }

    /// Continues the incoming trace when `traceparent` is valid, else starts a new one.
    public init(traceparent incoming: String?, tracestate: String?) {
        if let parsed = incoming.flatMap(Self.parse) {
            parentID = parsed.parentID
            flags = parsed.flags
            traceState = tracestate.flatMap { $0.utf8.count <= 512 && !$0.isEmpty ? $0 : nil }
            traceparent = Self.header(traceID: parsed.traceID, spanWord: IdentifierSource.word(), flags: parsed.flags)
        } else {
            parentID = nil
            flags = 0
            traceState = nil
            let w = IdentifierSource.words3()
            traceparent = Self.header(traceHigh: w.0, traceLow: w.1, span: w.2)
        }
    }

    /// "00-<trace>-<span>-00" for a new trace, written in one pass from its random words.
    static func header(traceHigh: UInt64, traceLow: UInt64, span: UInt64) -> String {
        String(unsafeUninitializedCapacity: 55) { out in
            out[0] = UInt8(ascii: "0"); out[1] = UInt8(ascii: "0"); out[2] = UInt8(ascii: "-")
            Hex.write(traceHigh, into: out, at: 3)
            Hex.write(traceLow, into: out, at: 19)
            out[35] = UInt8(ascii: "-")
            Hex.write(span, into: out, at: 36)
            out[52] = UInt8(ascii: "-"); out[53] = UInt8(ascii: "0"); out[54] = UInt8(ascii: "0")
            return 55
        }
    }

    /// "00-<trace>-<span>-<flags>" continuing a trace id that came in.
    static func header(traceID: String, spanWord: UInt64, flags: UInt8) -> String {
        var trace = traceID
        return trace.withUTF8 { t in
            String(unsafeUninitializedCapacity: 3 + t.count + 1 + 16 + 3) { out in
                out[0] = UInt8(ascii: "0"); out[1] = UInt8(ascii: "0"); out[2] = UInt8(ascii: "-")
                var o = 3
                for b in t { out[o] = b; o += 1 }
                out[o] = UInt8(ascii: "-"); o += 1
                Hex.write(spanWord, into: out, at: o); o += 16
                out[o] = UInt8(ascii: "-"); o += 1
                out[o] = Hex.digit(flags >> 4); o += 1
                out[o] = Hex.digit(flags); o += 1
                return o
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
