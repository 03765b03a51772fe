import Crypto

/// W3C Trace Context (https://www.w3.org/TR/trace-context/): the trace a request belongs to.
/// A valid incoming `traceparent` continues the caller's trace (its `tracestate` is passed
/// on); otherwise a new trace starts. Each request is one span of its own; its id goes back to
/// the caller in `traceparent`, into every log line, and onto outbound calls and jobs the
/// request starts (`childHeaders`).
public struct TraceContext: Sendable, Equatable {
    // The ids as numbers: their hex text is written only where it is needed (most responses
    // carry `traceparent` as a header written straight from these, and no log line).
    let traceHigh: UInt64
    let traceLow: UInt64
    let span: UInt64
    let parent: UInt64?
    /// trace-flags (bit 0: sampled).
    public let flags: UInt8
    public let traceState: String?

    /// 32 lowercase hex digits.
    public var traceID: String { Self.hex(traceHigh, traceLow) }
    /// This request's span: 16 lowercase hex digits.
    public var spanID: String { Self.hex(span) }
    /// The caller's span, when the trace came in.
    public var parentID: String? { parent.map { Self.hex($0) } }
    /// "00-<trace>-<span>-<flags>", naming this request's span (for the response and children).
    public var traceparent: String {
        String(unsafeUninitializedCapacity: Self.traceparentLength) { out in
            writeTraceparent(into: out)
            return Self.traceparentLength
        }
    }

    static let traceparentLength = 55

    /// Continues the incoming trace when `traceparent` is valid, else starts a new one.
    public init(traceparent incoming: String?, tracestate: String?) {
        if let parsed = incoming.flatMap(Self.parse) {
            traceHigh = parsed.high
            traceLow = parsed.low
            parent = parsed.parent
            flags = parsed.flags
            traceState = tracestate.flatMap { $0.utf8.count <= 512 && !$0.isEmpty ? $0 : nil }
            span = IdentifierSource.word()
        } else {
            (traceHigh, traceLow, span) = IdentifierSource.words3()
            parent = nil
            flags = 0
            traceState = nil
        }
    }

    /// Writes `traceparent` (`traceparentLength` bytes) at the start of `out`.
    func writeTraceparent(into out: UnsafeMutableBufferPointer<UInt8>) {
        out[0] = UInt8(ascii: "0"); out[1] = UInt8(ascii: "0"); out[2] = UInt8(ascii: "-")
        Hex.write(traceHigh, into: out, at: 3)
        Hex.write(traceLow, into: out, at: 19)
        out[35] = UInt8(ascii: "-")
        Hex.write(span, into: out, at: 36)
        out[52] = UInt8(ascii: "-")
        out[53] = Hex.digit(flags >> 4)
        out[54] = Hex.digit(flags)
    }

    private static func hex(_ words: UInt64...) -> String {
        String(unsafeUninitializedCapacity: words.count * 16) { out in
            for (i, w) in words.enumerated() { Hex.write(w, into: out, at: i * 16) }
            return words.count * 16
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
    static func parse(_ text: String) -> (high: UInt64, low: UInt64, parent: UInt64, flags: UInt8)? {
        let t = text.trimmingWhitespace()
        let parts = t.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, isHex(parts[0]), parts[0] != "ff" else { return nil }
        if parts[0] == "00" && parts.count != 4 { return nil }
        let trace = parts[1], parent = parts[2], flags = parts[3]
        guard trace.count == 32, parent.count == 16, flags.count == 2, isHex(trace), isHex(parent), isHex(flags),
              let high = UInt64(trace.prefix(16), radix: 16), let low = UInt64(trace.suffix(16), radix: 16),
              let p = UInt64(parent, radix: 16), let f = UInt8(flags, radix: 16),
              high != 0 || low != 0, p != 0 else { return nil }
        return (high, low, p, f)
    }

    private static func isHex(_ s: Substring) -> Bool {
        s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

}
