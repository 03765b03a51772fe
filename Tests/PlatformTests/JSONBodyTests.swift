import Testing
import SystemSupport
@testable import Platform
import HTTPServer

@Suite struct JSONBodyTests {
    struct Order: StrictDecodable {
        struct Line: Decodable { let sku: String; let quantity: Int }
        let customer: String
        let lines: [Line]
        let note: String?
        static let fields: Set<String> = ["customer", "lines", "note"]
    }

    struct Loose: Decodable { let customer: String }

    func request(_ body: String, contentType: String = "application/json") -> Request {
        Request(method: .POST, target: "/orders", headers: [("Content-Type", contentType)], body: Array(body.utf8))
    }

    func failure<T: Decodable>(_ type: T.Type, _ r: Request) -> AppError? {
        do {
            _ = try JSONBody.decode(type, from: r)
            return nil
        } catch let e as AppError {
            return e
        } catch {
            return nil
        }
    }

    @Test func decodesValidBodies() throws {
        let order = try JSONBody.decode(Order.self, from: request(#"{"customer":"c1","lines":[{"sku":"A","quantity":2}],"note":null}"#))
        #expect(order.customer == "c1" && order.lines.first?.quantity == 2 && order.note == nil)
        #expect(try JSONBody.decode(Order.self, from: request(#"{"customer":"c","lines":[]}"#, contentType: "application/json; charset=utf-8")).lines.isEmpty)
        #expect(try JSONBody.decode(Loose.self, from: request(#"{"customer":"c","extra":1}"#)).customer == "c", "non-strict types ignore extras")
    }

    /// PostgreSQL text cannot hold U+0000: every string holding it, key or value, is named.
    @Test func nulInAnyStringIsRefusedByField() {
        let e = failure(Order.self, request(#"{"customer":"a\u0000b","lines":[{"sku":"x\u0000","quantity":1}],"note":"fine \\u0000 is text"}"#))
        #expect(e?.code == .validationError)
        #expect(e?.details.map(\.field) == ["customer", "lines[0].sku"], "\(String(describing: e?.details))")
        let key = failure(Loose.self, request(#"{"customer":"c","settings":{"a\u0000":"v"}}"#))
        #expect(key?.details.map(\.field) == ["settings.a\\u0000"], "\(String(describing: key?.details))")
        #expect(failure(Loose.self, request(#"{"customer":"c\u0001"}"#)) == nil, "other escapes are text")
    }

    @Test func aKeyGivenTwiceIsRefused() {
        let e = failure(Loose.self, request(#"{"customer":"a","customer":"b","x":{"k":1,"k":2}}"#))
        #expect(e?.details.map(\.field) == ["customer", "x.k"], "\(String(describing: e?.details))")
    }

    @Test func contentTypeMustBeJSON() {
        #expect(failure(Order.self, request("{}", contentType: "text/plain"))?.code == .unsupportedMediaType)
        #expect(failure(Order.self, request("{}", contentType: ""))?.status.code == 415)
        #expect(failure(Order.self, request(#"{"customer":"c","lines":[]}"#, contentType: "application/vnd.api+json")) == nil)
    }

    @Test(arguments: [
        ("", "body", "is required"),
        ("{not json", "body", "is not valid JSON (line 1, column 2)"),
        ("{\n  \"customer\": \"c\",\n  \"lines\": [1,,2]\n}", "body", "is not valid JSON (line 3, column 15)"),
        ("[1,2]", "body", "must be a JSON object"),
        (#"{"customer":"c"}"#, "lines", "is required"),
        (#"{"customer":5,"lines":[]}"#, "customer", "must be a string"),
        (#"{"customer":"c","lines":[{"sku":"A","quantity":"two"}]}"#, "lines[0].quantity", "must be an integer"),
        (#"{"customer":null,"lines":[]}"#, "customer", "must not be null"),
        (#"{"customer":"c","lines":[],"discount":"100%"}"#, "discount", "is not a known field"),
        (#"{"customer":"c","lines":{}}"#, "lines", "must be an array"),
        // Numbers of the wrong kind name their field (the decoder alone says "not valid JSON").
        (#"{"customer":"c","lines":[{"sku":"A","quantity":1.5}]}"#, "lines[0].quantity", "must be an integer"),
        (#"{"customer":"c","lines":[{"sku":"A","quantity":1},{"sku":"B","quantity":9223372036854775808}]}"#, "lines[1].quantity", "is out of range"),
        (#"{"customer":"c","lines":[{"sku":"A","quantity":1e999999}]}"#, "lines[0].quantity", "is out of range"),
        (#"{"customer":"c","lines":[{"sku":"A","quantity":7}],"note":"x", "n": 2.5}"#, "n", "is not a known field"),
        (#"{"customer":"c","lines":[{"sku":"A","quantity":1}]"#, "body", "is not valid JSON (line 1, column 51)"),
    ])
    func errorsNameTheField(body: String, field: String, issue: String) {
        let e = failure(Order.self, request(body))
        #expect(e?.code == .validationError, "\(body)")
        #expect(e?.details.first == FieldIssue(field: field, issue: issue), "\(body): \(String(describing: e?.details))")
    }

    @Test func numberScannerFindsPathsAndRefusesMalformedJSON() {
        let body = Array(#"{"a":[1,{"b":-2.5e3}],"c":{"d":[[7]]},"s":"1,2","t":true,"n":null}"#.utf8)
        let numbers = JSONPaths.numbers(body)
        #expect(numbers?.map(\.path) == ["a[0]", "a[1].b", "c.d[0][0]"])
        #expect(numbers.map { $0.map { String(decoding: body[$0.range], as: UTF8.self) } } == ["1", "-2.5e3", "7"])
        for bad in ["{", "{\"a\":}", "[1,]", "{\"a\":1} x", "tru", String(repeating: "[", count: 300) + String(repeating: "]", count: 300)] {
            #expect(JSONPaths.numbers(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test func topLevelKeyScanner() {
        #expect(TopLevelKeys.scan(Array(#" { "a" : {"x":[1,{"y":"}"}]}, "b":"q\"uote", "c": 3 } "#.utf8)) == ["a", "b", "c"])
        #expect(TopLevelKeys.scan(Array("{}".utf8)) == [])
        #expect(TopLevelKeys.scan(Array(#"{"a":1,"#.utf8)) == nil)
        #expect(TopLevelKeys.scan(Array("\"str\"".utf8)) == nil)
    }
}

@Suite struct JSONBodyFuzzTests {
    /// Random and mutated bodies: decoding ends in a value or an AppError, never a crash or
    /// another error type.
    @Test func arbitraryBodiesNeverCrash() {
        var rng = SplitMix64(seed: 7)
        let seeds = [#"{"customer":"c","lines":[{"sku":"A","quantity":2}],"note":"n\"q"}"#, #"{"a":[1,{"b":"}"}],"c":"\\"}"#, "{}"]
        let alphabet = Array(#"{}[]":,\ 0123abc-.eE+nulltruefalse"#.utf8) + [0, 0xFF, 0x0A]
        for i in 0..<20_000 {
            var bytes = Array(seeds[i % seeds.count].utf8)
            if i % 4 == 0 {
                bytes = (0..<Int.random(in: 0..<60, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            } else {
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let pos = Int.random(in: 0...bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0 where pos < bytes.count: bytes[pos] = alphabet.randomElement(using: &rng)!
                    case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: pos)
                    default: if pos < bytes.count { bytes.remove(at: pos) }
                    }
                }
            }
            _ = TopLevelKeys.scan(bytes)
            let request = Request(method: .POST, target: "/", headers: [("Content-Type", "application/json")], body: bytes)
            do {
                _ = try JSONBody.decode(JSONBodyTests.Order.self, from: request)
            } catch is AppError {
            } catch {
                Issue.record("unexpected error type for \(String(decoding: bytes, as: UTF8.self)): \(error)")
                return
            }
        }
    }
}
