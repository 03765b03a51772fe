/// Decodes a chunked request body (RFC 9112 section 7.1) one state at a time, so input may
/// arrive split anywhere, even byte by byte. The size limit is checked as each chunk size is
/// read, before its data is accepted; trailer fields are validated and discarded.
struct ChunkedDecoder {
    enum Outcome: Equatable {
        case needMore(consumed: Int)
        case done(consumed: Int)
        case failed(HTTPParseError)
    }

    private enum State { case size, sizeWhitespace, ext, sizeLF, data, dataCR, dataLF, trailerStart, trailer, trailerLF, finalLF, done }

    private var state = State.size
    private var size = 0
    private var digits = 0
    private var lineBytes = 0
    private var remaining = 0
    private var trailerFields = 0
    private var trailerBytes = 0
    private var trailerSawColon = false
    let maxBody: Int
    let limits: HTTPLimits

    init(maxBody: Int, limits: HTTPLimits) {
        self.maxBody = maxBody
        self.limits = limits
    }

    mutating func decode(_ p: UnsafeBufferPointer<UInt8>, start: Int, end: Int, into body: inout [UInt8]) -> Outcome {
        var i = start
        while i < end {
            let b = p[i]
            switch state {
            case .size:
                if let v = PercentDecoding.hexValue(b) {
                    digits += 1
                    guard digits <= 16 else { return .failed(.badRequest("chunk size too long")) }
                    size = size &* 16 &+ Int(v)
                    if size > maxBody - body.count { return .failed(.payloadTooLarge(limit: maxBody)) }
                } else if digits == 0 {
                    return .failed(.badRequest("invalid chunk size"))
                } else if b == UInt8(ascii: ";") {
                    state = .ext
                } else if isOWS(b) {
                    state = .sizeWhitespace
                } else if b == ByteClass.cr {
                    state = .sizeLF
                } else {
                    return .failed(.badRequest("invalid chunk size"))
                }
            case .sizeWhitespace:
                // BWS is only allowed before a chunk extension.
                if b == UInt8(ascii: ";") { state = .ext } else if !isOWS(b) { return .failed(.badRequest("invalid chunk size")) }
            case .ext:
                if b == ByteClass.cr {
                    state = .sizeLF
                } else if !ByteClass.isFieldValue(b) {
                    return .failed(.badRequest("invalid chunk extension"))
                }
            case .sizeLF:
                guard b == ByteClass.lf else { return .failed(.badRequest("bare CR in chunk size line")) }
                if size == 0 {
                    state = .trailerStart
                } else {
                    remaining = size
                    state = .data
                }
                size = 0
                digits = 0
                lineBytes = 0
            case .data:
                let n = min(remaining, end - i)
                body.append(contentsOf: UnsafeBufferPointer(rebasing: p[i..<(i + n)]))
                remaining -= n
                i += n
                if remaining == 0 { state = .dataCR }
                continue
            case .dataCR:
                guard b == ByteClass.cr else { return .failed(.badRequest("chunk data longer than its size")) }
                state = .dataLF
            case .dataLF:
                guard b == ByteClass.lf else { return .failed(.badRequest("bare CR after chunk data")) }
                state = .size
            case .trailerStart:
                if b == ByteClass.cr {
                    state = .finalLF
                } else if ByteClass.isToken(b) {
                    trailerFields += 1
                    if trailerFields > limits.maxHeaderCount { return .failed(.headerFieldsTooLarge("too many trailer fields")) }
                    trailerSawColon = false
                    state = .trailer
                } else {
                    return .failed(.badRequest("invalid trailer field"))
                }
            case .trailer:
                if b == ByteClass.cr {
                    guard trailerSawColon else { return .failed(.badRequest("invalid trailer field")) }
                    state = .trailerLF
                } else if !trailerSawColon {
                    if b == UInt8(ascii: ":") { trailerSawColon = true } else if !ByteClass.isToken(b) {
                        return .failed(.badRequest("invalid trailer field name"))
                    }
                } else if !ByteClass.isFieldValue(b) {
                    return .failed(.badRequest("invalid character in trailer value"))
                }
            case .trailerLF:
                guard b == ByteClass.lf else { return .failed(.badRequest("bare CR in trailer")) }
                state = .trailerStart
            case .finalLF:
                guard b == ByteClass.lf else { return .failed(.badRequest("bare CR after last chunk")) }
                state = .done
                return .done(consumed: i + 1 - start)
            case .done:
                return .done(consumed: i - start)
            }
            // Per-line caps so a size line or trailer cannot grow without bound.
            switch state {
            case .size, .sizeWhitespace, .ext, .sizeLF:
                lineBytes += 1
                if lineBytes > limits.maxChunkLineBytes { return .failed(.badRequest("chunk size line too long")) }
            case .trailer, .trailerLF, .trailerStart, .finalLF:
                trailerBytes += 1
                if trailerBytes > limits.maxHeaderBytes { return .failed(.headerFieldsTooLarge("trailer section too large")) }
            default:
                break
            }
            i += 1
        }
        return .needMore(consumed: end - start)
    }
}
