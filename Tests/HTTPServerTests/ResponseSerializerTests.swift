import Testing
@testable import HTTPServer

@Suite struct ResponseSerializerTests {
    func serialize(_ r: Response, version: HTTPVersion = .http1_1, head: Bool = false, keepAlive: Bool = true) -> String {
        var out: [UInt8] = []
        let withBody = ResponseSerializer.writeHead(r, version: version, isHead: head, keepAlive: keepAlive,
                                                    date: Array("Date: X\r\n".utf8), into: &out)
        if withBody { out.append(contentsOf: r.body) }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func framingComesFromTheBody() {
        var r = Response(status: .ok, contentType: "text/plain", body: Array("hello".utf8))
        r.headers.add("Content-Length", "999")
        r.headers.add("Transfer-Encoding", "chunked")
        r.headers.add("connection", "keep-alive")
        let text = serialize(r)
        #expect(text == "HTTP/1.1 200 OK\r\nDate: X\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello")
    }

    @Test func headerValuesCannotSplitTheResponse() {
        var r = Response(status: .ok)
        r.headers.add("X-Note", "a\r\nSet-Cookie: stolen=1\r\n\r\n<html>")
        r.headers.add("X-Na\r\nme", "v\u{0}")
        let text = serialize(r)
        #expect(text.contains("X-Note: aSet-Cookie: stolen=1<html>\r\n"))
        #expect(text.contains("X-Name: v\r\n"))
        #expect(!text.contains("\r\nSet-Cookie"))
        #expect(text.hasSuffix("\r\n\r\n"))
        let bytes = Array(text.utf8)
        let terminators = (0..<(bytes.count - 3)).filter { bytes[$0..<($0 + 4)] == [13, 10, 13, 10] }
        #expect(terminators == [bytes.count - 4], "exactly one empty line: the end of the head")
    }

    @Test func headNoContentAndConnection() {
        let r = Response(status: .ok, contentType: "application/json", body: Array("{}".utf8))
        #expect(serialize(r, head: true).hasSuffix("Content-Length: 2\r\nContent-Type: application/json\r\n\r\n"))
        #expect(!serialize(Response(status: .noContent)).contains("Content-Length"))
        #expect(serialize(r, keepAlive: false).contains("Connection: close\r\n"))
        #expect(serialize(r, version: .http1_0).hasPrefix("HTTP/1.0 200 OK\r\n"))
        #expect(serialize(r, version: .http1_0).contains("Connection: keep-alive\r\n"))
    }

    @Test func addMissingKeepsExistingValues() {
        var h = ResponseHeaders()
        h.add("cache-control", "max-age=60")
        h.addMissing([("Cache-Control", "no-store"), ("X-Frame-Options", "DENY")])
        #expect(h["Cache-Control"] == "max-age=60")
        #expect(h["x-frame-options"] == "DENY")
        #expect(h.fields.count == 2)
    }

    @Test func headerLinesSetRemoveAndReadBack() {
        var h = ResponseHeaders()
        h.add("Vary", "Origin")
        h.add("X-A", "1")
        h.add("vary", "Accept-Encoding")
        h.add("X-Odd:Name", "x: y")
        #expect(h["VARY"] == "Origin" && h["x-a"] == "1" && h["X-OddName"] == "x: y", "':' is dropped from names, kept in values")
        h.set("Vary", "*")
        #expect(h.fields.map(\.name) == ["X-A", "X-OddName", "Vary"] && h["vary"] == "*")
        h.remove("x-a")
        h.remove("Missing")
        #expect(h.fields.map(\.name) == ["X-OddName", "Vary"])
        var r = Response(status: .ok)
        r.headers = h
        r.headers.add(block: HeaderBlock([("X-Frame-Options", "DENY"), ("Cache-Control", "no-store")]))
        #expect(r.headers["cache-control"] == "no-store")
        #expect(r.headers.containsAnyName(of: HeaderBlock([("vary", "x")])) && !r.headers.containsAnyName(of: HeaderBlock([("X-B", "x")])))
        r.headers.set("Cache-Control", "max-age=60")
        let text = serialize(r)
        #expect(text.hasSuffix("X-OddName: x: y\r\nVary: *\r\nX-Frame-Options: DENY\r\nCache-Control: max-age=60\r\n\r\n"))
        #expect(!text.contains("no-store"))
    }

    @Test func imfFixdate() {
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}
