/// How the body of a request is delimited (RFC 9112 section 6.3).
enum BodyFraming: Sendable, Equatable {
    case none
    case length(Int)
    case chunked
}

/// A request head that passed every syntactic and framing check.
struct ParsedHead: Sendable {
    var method: HTTPMethod
    var version: HTTPVersion
    var headers: RequestHeaders
    var path: Range<Int>
    var query: Range<Int>
    var framing: BodyFraming
    var keepAlive: Bool
    var expectContinue: Bool
}

enum HeadParseResult {
    case complete(ParsedHead, consumed: Int)
    case incomplete
    case invalid(HTTPParseError)
}

/// Parses an HTTP/1.1 request head from bytes (RFC 9112 sections 2-3, 5-6).
///
/// Resumable: while the head is incomplete the parser remembers how far it scanned, so a head
/// that trickles in byte by byte is scanned once in total (picohttpparser's `last_len` idea).
/// Only CRLF ends a line; a bare CR or LF is rejected because lenient line endings are a
/// request-smuggling vector. Once the empty line is found the head is copied once and fields
/// are recorded as ranges into that copy, so nothing is allocated per field.
struct RequestHeadParser {
    let limits: HTTPLimits
    private var scanned = 0
    private var lineStart = 0
    private var fieldLines = 0
    /// Checks the bytes of a request line still arriving, so garbage is refused at once.
    private var requestLinePrefix = RequestLinePrefix()
    /// How many bytes of the request line `requestLinePrefix` has seen.
    private var prefixChecked = 0
    /// The request line, parsed as soon as its CRLF arrived.
    private var requestLine: RequestLine?

    init(limits: HTTPLimits) { self.limits = limits }

    mutating func reset() {
        scanned = 0
        lineStart = 0
        fieldLines = 0
        requestLinePrefix = RequestLinePrefix()
        prefixChecked = 0
        requestLine = nil
    }

    mutating func parse(_ p: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> HeadParseResult {
        // Stray empty lines before the request line (RFC 9112 section 2.2).
        var s = start
        var empties = 0
        while s < end && p[s] == ByteClass.cr {
            guard s + 1 < end else { return .incomplete }
            guard p[s + 1] == ByteClass.lf else { return .invalid(.badRequest("bare CR")) }
            s += 2
            empties += 1
            if empties > limits.maxLeadingEmptyLines { return .invalid(.badRequest("too many empty lines")) }
        }
        if s < end && p[s] == ByteClass.lf { return .invalid(.badRequest("bare LF")) }

        var i = s + scanned
        while i < end {
            let b = p[i]
            // Neither CR nor LF: the common case, and all the scan has to know.
            if b != ByteClass.lf && b != ByteClass.cr {
                i += 1
                continue
            }
            if b == ByteClass.lf {
                if let line = requestLine {
                    guard p[i - 1] == ByteClass.cr else { return .invalid(.badRequest("bare LF")) }
                    if i - 1 - (s + lineStart) == 0 {
                        let headLength = i + 1 - s
                        if headLength - (line.lineFeed + 1) > limits.maxHeaderBytes + 2 {
                            return .invalid(.headerFieldsTooLarge("header block over \(limits.maxHeaderBytes) bytes"))
                        }
                        let storage = Array(p[s..<(s + headLength)])
                        switch Self.parseHead(storage, requestLine: line, fieldLines: fieldLines, limits: limits) {
                        case .success(let head):
                            let consumed = s + headLength - start
                            reset()
                            return .complete(head, consumed: consumed)
                        case .failure(let e):
                            return .invalid(e)
                        }
                    }
                    fieldLines += 1
                    if fieldLines > limits.maxHeaderCount {
                        return .invalid(.headerFieldsTooLarge("more than \(limits.maxHeaderCount) fields"))
                    }
                } else {
                    // The request line is complete: parse it now (garbage is refused without
                    // waiting for the rest of the head), once.
                    guard i > s, p[i - 1] == ByteClass.cr else {
                        if let problem = checkPrefix(p, s, upTo: i) { return .invalid(.badRequest(problem)) }
                        return .invalid(.badRequest("bare LF"))
                    }
                    switch Self.parseRequestLine(UnsafeBufferPointer(rebasing: p[s..<(i - 1)])) {
                    case .success(let line): requestLine = line
                    case .failure(let e): return .invalid(e)
                    }
                    if i - 1 - s > limits.maxRequestLineBytes { return .invalid(.uriTooLong) }
                }
                lineStart = i + 1 - s
            } else {
                // A CR at the end of the buffer is re-examined when its successor arrives, so
                // the verdict never depends on how the bytes were split.
                if i + 1 == end { break }
                if p[i + 1] != ByteClass.lf {
                    if requestLine == nil, let problem = checkPrefix(p, s, upTo: i) { return .invalid(.badRequest(problem)) }
                    return .invalid(.badRequest("bare CR"))
                }
            }
            i += 1
        }
        scanned = i - s
        guard let line = requestLine else {
            // Bytes that cannot start a request are refused as they arrive, not after the
            // header timeout (nginx does the same).
            if let problem = checkPrefix(p, s, upTo: i) { return .invalid(.badRequest(problem)) }
            if end - s > limits.maxRequestLineBytes + 2 { return .invalid(.uriTooLong) }
            return .incomplete
        }
        if (end - s) - (line.lineFeed + 1) > limits.maxHeaderBytes + 2 {
            return .invalid(.headerFieldsTooLarge("header block over \(limits.maxHeaderBytes) bytes"))
        }
        return .incomplete
    }

    /// Feeds request-line bytes not yet checked, up to `end` (exclusive), to the prefix check.
    private mutating func checkPrefix(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, upTo end: Int) -> String? {
        var k = s + prefixChecked
        while k < end {
            if let problem = requestLinePrefix.accept(p[k]) { return problem }
            k += 1
        }
        prefixChecked = max(prefixChecked, end - s)
        return nil
    }

    // MARK: - Full parse of a complete head

    /// The request line (without its CRLF): method SP request-target SP HTTP-version, single
    /// spaces only. Offsets are from the start of the head.
    struct RequestLine {
        let method: HTTPMethod
        let version: HTTPVersion
        let targetStart: Int
        let targetEnd: Int
        /// Where its LF is: the field lines start after it.
        let lineFeed: Int
    }

    private static func parseRequestLine(_ q: UnsafeBufferPointer<UInt8>) -> Result<RequestLine, HTTPParseError> {
        let rlEnd = q.count
        var i = 0
        while i < rlEnd && ByteClass.isToken(q[i]) { i += 1 }
        guard i > 0, i < rlEnd, q[i] == ByteClass.sp, i <= RequestLinePrefix.maxMethodLength else {
            return .failure(.badRequest("invalid method"))
        }
        let methodEnd = i
        let targetStart = i + 1
        i = targetStart
        while i < rlEnd && ByteClass.isTarget(q[i]) { i += 1 }
        guard i > targetStart, i < rlEnd, q[i] == ByteClass.sp else { return .failure(.badRequest("invalid request target")) }
        let targetEnd = i
        let versionStart = i + 1
        guard rlEnd - versionStart == 8 else { return .failure(.badRequest("invalid HTTP version")) }
        let httpVersion: HTTPVersion
        switch versionBytes(q, versionStart) {
        case .supported(let v): httpVersion = v
        case .unsupported: return .failure(.versionNotSupported)
        case .none: return .failure(.badRequest("invalid HTTP version"))
        }
        guard let method = HTTPMethod.parse(q, 0, methodEnd) else {
            return .failure(.notImplemented("method \(String(decoding: q[0..<methodEnd], as: UTF8.self))"))
        }
        if method == .CONNECT { return .failure(.notImplemented("method CONNECT")) }
        return .success(RequestLine(method: method, version: httpVersion, targetStart: targetStart, targetEnd: targetEnd,
                                    lineFeed: rlEnd + 1))
    }

    private static func parseHead(_ storage: [UInt8], requestLine: RequestLine, fieldLines: Int,
                                  limits: HTTPLimits) -> Result<ParsedHead, HTTPParseError> {
        storage.withUnsafeBufferPointer { q in
            let method = requestLine.method, httpVersion = requestLine.version
            let targetStart = requestLine.targetStart, targetEnd = requestLine.targetEnd

            // Field lines.
            var fields: [FieldRange] = []
            fields.reserveCapacity(fieldLines)
            var hostCount = 0
            var line = requestLine.lineFeed + 1
            let headEnd = storage.count - 2
            while line < headEnd {
                var j = line
                if q[j] == ByteClass.sp || q[j] == ByteClass.htab {
                    return .failure(.badRequest("obsolete line folding"))
                }
                while ByteClass.isToken(q[j]) { j += 1 }
                guard j > line else { return .failure(.badRequest("invalid header field name")) }
                guard q[j] == UInt8(ascii: ":") else {
                    return .failure(.badRequest(q[j] == ByteClass.sp || q[j] == ByteClass.htab
                        ? "whitespace before colon" : "invalid header field name"))
                }
                let nameEnd = j
                j += 1
                while isOWS(q[j]) { j += 1 }
                let valueStart = j
                while q[j] != ByteClass.cr {
                    guard ByteClass.isFieldValue(q[j]) else { return .failure(.badRequest("invalid character in header value")) }
                    j += 1
                }
                var valueEnd = j
                while valueEnd > valueStart && isOWS(q[valueEnd - 1]) { valueEnd -= 1 }
                let f = FieldRange(nameStart: Int32(line), nameEnd: Int32(nameEnd), valueStart: Int32(valueStart), valueEnd: Int32(valueEnd))
                fields.append(f)
                if nameEnd - line == 4, asciiLower(q[line]) == UInt8(ascii: "h"), asciiLower(q[line + 1]) == UInt8(ascii: "o"),
                   asciiLower(q[line + 2]) == UInt8(ascii: "s"), asciiLower(q[line + 3]) == UInt8(ascii: "t") {
                    hostCount += 1
                    for k in valueStart..<valueEnd where !ByteClass.isHost(q[k]) {
                        return .failure(.badRequest("invalid Host"))
                    }
                }
                line = j + 2
            }
            let headers = RequestHeaders(storage: storage, fields: fields)

            if hostCount > 1 { return .failure(.badRequest("more than one Host field")) }
            if hostCount == 0 && httpVersion == .http1_1 { return .failure(.badRequest("missing Host field")) }

            // Request target forms (RFC 9112 section 3.2).
            guard let (path, query) = targetRanges(q, targetStart, targetEnd, method: method) else {
                return .failure(.badRequest("invalid request target"))
            }
            guard PercentDecoding.hasValidEscapes(q, targetStart, targetEnd) else {
                return .failure(.badRequest("invalid percent-encoding in target"))
            }

            // Framing.
            let framing: BodyFraming
            switch bodyFraming(headers, version: httpVersion) {
            case .success(let f): framing = f
            case .failure(let e): return .failure(e)
            }

            let keepAlive = httpVersion == .http1_1
                ? !headers.containsToken("connection", "close")
                : headers.containsToken("connection", "keep-alive") && !headers.containsToken("connection", "close")

            var expectContinue = false
            if let f = headers.firstField("expect") {
                guard headers.asciiCaseInsensitiveEquals(Int(f.valueStart), Int(f.valueEnd), "100-continue") else {
                    return .failure(.expectationFailed)
                }
                expectContinue = httpVersion == .http1_1
            }

            return .success(ParsedHead(method: method, version: httpVersion, headers: headers, path: path, query: query,
                                       framing: framing, keepAlive: keepAlive, expectContinue: expectContinue))
        }
    }

    private enum VersionParse { case supported(HTTPVersion), unsupported }

    private static func versionBytes(_ q: UnsafeBufferPointer<UInt8>, _ v: Int) -> VersionParse? {
        guard q[v] == UInt8(ascii: "H"), q[v + 1] == UInt8(ascii: "T"), q[v + 2] == UInt8(ascii: "T"),
              q[v + 3] == UInt8(ascii: "P"), q[v + 4] == UInt8(ascii: "/"), q[v + 6] == UInt8(ascii: "."),
              let major = digit(q[v + 5]), let minor = digit(q[v + 7]) else { return nil }
        guard major == 1 else { return .unsupported }
        // A higher minor version is processed as the highest one we implement (RFC 9110 6.2).
        return .supported(minor == 0 ? .http1_0 : .http1_1)
    }

    @inline(__always) private static func digit(_ b: UInt8) -> Int? {
        b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") ? Int(b - UInt8(ascii: "0")) : nil
    }

    /// Path and query ranges for origin-form, absolute-form and asterisk-form targets.
    private static func targetRanges(_ q: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, method: HTTPMethod) -> (Range<Int>, Range<Int>)? {
        var pathStart = start
        if q[start] == UInt8(ascii: "*") {
            guard end - start == 1, method == .OPTIONS else { return nil }
            return (start..<end, end..<end)
        }
        if q[start] != UInt8(ascii: "/") {
            // absolute-form: http(s)://authority[/path][?query]
            var i = start
            while i < end && q[i] != UInt8(ascii: ":") { i += 1 }
            let scheme = String(decoding: q[start..<i], as: UTF8.self).lowercased()
            guard scheme == "http" || scheme == "https", i + 2 < end,
                  q[i + 1] == UInt8(ascii: "/"), q[i + 2] == UInt8(ascii: "/") else { return nil }
            let authorityStart = i + 3
            var j = authorityStart
            while j < end && q[j] != UInt8(ascii: "/") && q[j] != UInt8(ascii: "?") { j += 1 }
            guard j > authorityStart else { return nil }
            for k in authorityStart..<j where !ByteClass.isHost(q[k]) && q[k] != UInt8(ascii: "@") { return nil }
            pathStart = j
        }
        var k = pathStart
        while k < end && q[k] != UInt8(ascii: "?") { k += 1 }
        let query = k < end ? (k + 1)..<end : end..<end
        return (pathStart..<k, query)
    }

    /// Message body length rules, strict where lenience enables smuggling (RFC 9112 section 6).
    private static func bodyFraming(_ headers: RequestHeaders, version: HTTPVersion) -> Result<BodyFraming, HTTPParseError> {
        var teElements: [(Int, Int)] = []
        var sawTE = false
        var contentLength: Int? = nil
        var sawCL = false
        for f in headers.fields {
            if headers.nameEquals(f, "transfer-encoding") {
                sawTE = true
                headers.forEachListElement(f) { teElements.append(($0, $1)) }
            } else if headers.nameEquals(f, "content-length") {
                sawCL = true
                var bad = false
                var elements = 0
                headers.forEachListElement(f) { s, e in
                    elements += 1
                    guard e - s <= 18 else { bad = true; return }
                    var v = 0
                    for k in s..<e {
                        let b = headers.storage[k]
                        guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { bad = true; return }
                        v = v * 10 + Int(b - UInt8(ascii: "0"))
                    }
                    if let existing = contentLength, existing != v { bad = true }
                    contentLength = v
                }
                if bad || elements == 0 { return .failure(.badRequest("invalid Content-Length")) }
            }
        }
        if sawTE {
            if sawCL { return .failure(.badRequest("both Content-Length and Transfer-Encoding")) }
            if version == .http1_0 { return .failure(.badRequest("Transfer-Encoding in HTTP/1.0")) }
            guard let last = teElements.last else { return .failure(.badRequest("empty Transfer-Encoding")) }
            guard headers.asciiCaseInsensitiveEquals(last.0, last.1, "chunked") else {
                return .failure(.badRequest("Transfer-Encoding must end in chunked"))
            }
            for (s, e) in teElements.dropLast() {
                if headers.asciiCaseInsensitiveEquals(s, e, "chunked") {
                    return .failure(.badRequest("chunked applied more than once"))
                }
                for k in s..<e where !ByteClass.isToken(headers.storage[k]) && headers.storage[k] != UInt8(ascii: ";")
                    && headers.storage[k] != UInt8(ascii: "=") && !isOWS(headers.storage[k]) {
                    return .failure(.badRequest("invalid Transfer-Encoding"))
                }
                return .failure(.notImplemented("transfer coding \(String(decoding: headers.storage[s..<e], as: UTF8.self))"))
            }
            return .success(.chunked)
        }
        if let n = contentLength { return .success(n == 0 ? .none : .length(n)) }
        return .success(.none)
    }
}

/// Checks a request line byte by byte while it arrives: a method of token characters no longer
/// than any method worth serving, one space, a target, one space, and a prefix of "HTTP/d.d".
/// Returns the problem as soon as the bytes cannot become a valid request line.
struct RequestLinePrefix {
    /// Longer than every registered method (OPTIONS, CONNECT: 7); a longer token is noise.
    static let maxMethodLength = 20
    private enum Part { case method, target, version }
    private var part = Part.method
    private var length = 0

    mutating func accept(_ b: UInt8) -> String? {
        switch part {
        case .method:
            if b == ByteClass.sp {
                guard length > 0 else { return "invalid method" }
                part = .target
                length = 0
            } else {
                guard ByteClass.isToken(b) else { return "invalid method" }
                length += 1
                if length > Self.maxMethodLength { return "invalid method" }
            }
        case .target:
            if b == ByteClass.sp {
                guard length > 0 else { return "invalid request target" }
                part = .version
                length = 0
            } else {
                guard ByteClass.isTarget(b) else { return "invalid request target" }
                length += 1
            }
        case .version:
            let ok: Bool
            switch length {
            case 0: ok = b == UInt8(ascii: "H")
            case 1, 2: ok = b == UInt8(ascii: "T")
            case 3: ok = b == UInt8(ascii: "P")
            case 4: ok = b == UInt8(ascii: "/")
            case 5, 7: ok = b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")
            case 6: ok = b == UInt8(ascii: ".")
            default: ok = false
            }
            guard ok else { return "invalid HTTP version" }
            length += 1
        }
        return nil
    }
}
