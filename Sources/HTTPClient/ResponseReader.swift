/// Reads one HTTP/1.1 response from a connection: status line, headers, and a body framed by
/// Content-Length, chunked encoding or the end of the connection.
struct ResponseReader {
    let connection: Connection
    let deadline: Int64
    let maxBytes: Int
    var buffer: [UInt8] = []
    var position = 0

    init(connection: Connection, deadline: Int64, maxBytes: Int) {
        self.connection = connection
        self.deadline = deadline
        self.maxBytes = maxBytes
    }

    /// Reads more; false at end of stream.
    mutating func fill() throws -> Bool {
        guard HTTPClient.nowMs() < deadline else { throw HTTPClient.Failure(kind: .timeout, message: "the response took too long") }
        guard buffer.count <= maxBytes + 65_536 else { throw HTTPClient.Failure(kind: .tooLarge, message: "the response is larger than \(maxBytes) bytes") }
        return try connection.read(into: &buffer, max: 65_536) > 0
    }

    mutating func line() throws -> String {
        while true {
            if let i = buffer[position...].firstIndex(of: 0x0A) {
                var end = i
                if end > position && buffer[end - 1] == 0x0D { end -= 1 }
                let text = String(decoding: buffer[position..<end], as: UTF8.self)
                position = i + 1
                return text
            }
            guard buffer.count - position < 16_384 else { throw HTTPClient.Failure(kind: .protocolError, message: "a header line is too long") }
            guard try fill() else { throw HTTPClient.Failure(kind: .protocolError, message: "the connection closed inside the response head") }
        }
    }

    mutating func bytes(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n <= maxBytes else { throw HTTPClient.Failure(kind: .tooLarge, message: "the response is larger than \(maxBytes) bytes") }
        while buffer.count - position < n {
            guard try fill() else { throw HTTPClient.Failure(kind: .protocolError, message: "the connection closed inside the body") }
        }
        defer { position += n }
        return buffer[position..<(position + n)]
    }

    mutating func read(method: String) throws -> HTTPClient.Response {
        var status = 100
        var headers: [(name: String, value: String)] = []
        // Interim 1xx responses are skipped.
        while status >= 100 && status < 200 {
            let statusLine = try line()
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]), (100...599).contains(code) else {
                throw HTTPClient.Failure(kind: .protocolError, message: "not an HTTP response: \(statusLine.prefix(80))")
            }
            status = code
            headers = []
            while true {
                let l = try line()
                if l.isEmpty { break }
                guard let colon = l.firstIndex(of: ":") else { throw HTTPClient.Failure(kind: .protocolError, message: "malformed header line") }
                headers.append((String(l[..<colon]), String(l[l.index(after: colon)...]).trimmingCharacters()))
                guard headers.count <= 200 else { throw HTTPClient.Failure(kind: .protocolError, message: "too many headers") }
            }
        }
        var response = HTTPClient.Response(status: status, headers: headers, body: [])
        if method == "HEAD" || status == 204 || status == 304 { return response }
        if response.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            var body: [UInt8] = []
            while true {
                let sizeLine = try line()
                guard let size = Int(sizeLine.split(separator: ";").first.map(String.init)?.trimmingCharacters() ?? "", radix: 16), size >= 0 else {
                    throw HTTPClient.Failure(kind: .protocolError, message: "malformed chunk size")
                }
                if size == 0 {
                    while try !line().isEmpty {}
                    break
                }
                guard body.count + size <= maxBytes else { throw HTTPClient.Failure(kind: .tooLarge, message: "the response is larger than \(maxBytes) bytes") }
                body += try bytes(size)
                _ = try line()
            }
            response.body = body
        } else if let lengthText = response.header("Content-Length") {
            guard let length = Int(lengthText), length >= 0 else { throw HTTPClient.Failure(kind: .protocolError, message: "malformed Content-Length") }
            response.body = Array(try bytes(length))
        } else {
            while try fill() {}
            guard buffer.count - position <= maxBytes else { throw HTTPClient.Failure(kind: .tooLarge, message: "the response is larger than \(maxBytes) bytes") }
            response.body = Array(buffer[position...])
        }
        return response
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
