import Testing
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

    @Test func contentTypeMustBeJSON() {
        #expect(failure(Order.self, request("{}", contentType: "text/plain"))?.code == .unsupportedMediaType)
        #expect(failure(Order.self, request("{}", contentType: ""))?.status.code == 415)
        #expect(failure(Order.self, request(#"{"customer":"c","lines":[]}"#, contentType: "application/vnd.api+json")) == nil)
    }

    @Test(arguments: [
        ("", "body", "is required"),
        ("{not json", "body", "must be a JSON object"),
        ("[1,2]", "body", "must be a JSON object"),
        (#"{"customer":"c"}"#, "lines", "is required"),
        (#"{"customer":5,"lines":[]}"#, "customer", "must be a string"),
        (#"{"customer":"c","lines":[{"sku":"A","quantity":"two"}]}"#, "lines[0].quantity", "must be an integer"),
        (#"{"customer":null,"lines":[]}"#, "customer", "must not be null"),
        (#"{"customer":"c","lines":[],"discount":"100%"}"#, "discount", "is not a known field"),
        (#"{"customer":"c","lines":{}}"#, "lines", "must be an array"),
    ])
    func errorsNameTheField(body: String, field: String, issue: String) {
        let e = failure(Order.self, request(body))
        #expect(e?.code == .validationError, "\(body)")
        #expect(e?.details.first == FieldIssue(field: field, issue: issue), "\(body): \(String(describing: e?.details))")
    }

    @Test func topLevelKeyScanner() {
        #expect(TopLevelKeys.scan(Array(#" { "a" : {"x":[1,{"y":"}"}]}, "b":"q\"uote", "c": 3 } "#.utf8)) == ["a", "b", "c"])
        #expect(TopLevelKeys.scan(Array("{}".utf8)) == [])
        #expect(TopLevelKeys.scan(Array(#"{"a":1,"#.utf8)) == nil)
        #expect(TopLevelKeys.scan(Array("\"str\"".utf8)) == nil)
    }
}
