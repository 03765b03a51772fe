/// The file of a multipart/form-data body (RFC 7578) as it streams in: the first part with a
/// filename (or named "file") is handed on in pieces, other parts are skipped. Memory holds
/// one part header and a boundary's worth of bytes. Pure.
public struct MultipartFileExtractor {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    enum State { case part, headers, skipping, file, done }

    /// "\r\n--boundary": what ends every part.
    let delimiter: [UInt8]
    private var state = State.part
    private var buffer: [UInt8] = [0x0D, 0x0A]  // so the first boundary looks like every other
    public private(set) var fileName: String?
    public private(set) var partContentType: String?
    public private(set) var foundFile = false
    static let maxHeaderBytes = 16 * 1024

    /// Nil unless `contentType` is multipart/form-data with a usable boundary.
    public init?(contentType: String) {
        let parts = contentType.split(separator: ";").map { $0.trimmedOf(" \t") }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        var boundary: Substring?
        for p in parts.dropFirst() where p.lowercased().hasPrefix("boundary=") {
            var b = p.dropFirst("boundary=".count)
            if b.hasPrefix("\"") && b.hasSuffix("\"") && b.count >= 2 { b = b.dropFirst().dropLast() }
            boundary = b
        }
        guard let boundary, (1...70).contains(boundary.utf8.count) else { return nil }
        delimiter = Array("\r\n--".utf8) + Array(boundary.utf8)
    }

    public mutating func feed(_ bytes: [UInt8], _ emit: ([UInt8]) throws -> Void) throws {
        if state == .done { return }
        buffer.append(contentsOf: bytes)
        try advance(emit)
    }

    /// The body ended: it must have held a complete file part.
    public mutating func finish(_ emit: ([UInt8]) throws -> Void) throws {
        try advance(emit)
        guard foundFile else { throw Failure(reason: "the multipart body has no file part (send the CSV as a part with a filename)") }
        guard state == .done || state == .part || state == .headers || state == .skipping else {
            throw Failure(reason: "the multipart body ends inside the file part (no closing boundary)")
        }
    }

    private mutating func advance(_ emit: ([UInt8]) throws -> Void) throws {
        while true {
            switch state {
            case .done:
                buffer = []
                return
            case .part:
                // Looking for a delimiter, then "--" (the end) or CRLF (a part follows).
                guard let at = find(delimiter, in: buffer) else {
                    keepTail()
                    return
                }
                let after = at + delimiter.count
                guard buffer.count >= after + 2 else { return }
                if buffer[after] == UInt8(ascii: "-") && buffer[after + 1] == UInt8(ascii: "-") {
                    state = .done
                    continue
                }
                buffer.removeFirst(after + 2)
                state = .headers
            case .headers:
                let end = find([0x0D, 0x0A, 0x0D, 0x0A], in: buffer)
                // However the bytes arrived: a header whose end came in the same piece counts too.
                if (end ?? buffer.count) > Self.maxHeaderBytes { throw Failure(reason: "a multipart part header is longer than 16 KiB") }
                guard let end else { return }
                let header = String(decoding: buffer[..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                if !foundFile && isFile(header) {
                    foundFile = true
                    state = .file
                } else {
                    state = .skipping
                }
            case .skipping, .file:
                if let at = find(delimiter, in: buffer) {
                    if state == .file && at > 0 { try emit(Array(buffer[..<at])) }
                    buffer.removeFirst(at)
                    state = .part
                    continue
                }
                // Everything but a possible partial delimiter at the end is content.
                let safe = buffer.count - (delimiter.count - 1)
                if safe > 0 {
                    if state == .file { try emit(Array(buffer[..<safe])) }
                    buffer.removeFirst(safe)
                }
                return
            }
        }
    }

    private mutating func keepTail() {
        if buffer.count > delimiter.count { buffer.removeFirst(buffer.count - delimiter.count) }
    }

    private mutating func isFile(_ header: String) -> Bool {
        var isFile = false
        for line in header.split(separator: "\r\n") {
            let lower = line.lowercased()
            if lower.hasPrefix("content-disposition:") {
                let name = Self.parameter("name", in: String(line))
                if let f = Self.parameter("filename", in: String(line)) {
                    fileName = f
                    isFile = true
                }
                if name == "file" { isFile = true }
            } else if lower.hasPrefix("content-type:") {
                partContentType = String(String(line.dropFirst("content-type:".count)).trimmedOf(" \t"))
            }
        }
        return isFile
    }

    static func parameter(_ name: String, in line: String) -> String? {
        for piece in line.split(separator: ";").dropFirst() {
            let kv = piece.trimmedOf(" \t")
            guard kv.lowercased().hasPrefix(name + "=") else { continue }
            var v = kv.dropFirst(name.count + 1)
            if v.hasPrefix("\"") && v.hasSuffix("\"") && v.count >= 2 { v = v.dropFirst().dropLast() }
            return String(v)
        }
        return nil
    }

    private func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count, let first = needle.first else { return nil }
        var i = 0
        let last = hay.count - needle.count
        while i <= last {
            if hay[i] == first {
                var j = 1
                while j < needle.count && hay[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}

extension StringProtocol {
    fileprivate func trimmedOf(_ set: String) -> Substring {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}
