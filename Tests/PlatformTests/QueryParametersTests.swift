import Testing
@testable import Platform
import HTTPServer
import Postgres

@Suite struct QueryParametersTests {
    func query(_ q: String) -> QueryParameters { QueryParameters(Request(method: .GET, target: "/x?" + q)) }

    @Test func integersAreRangeCheckedNeverClamped() {
        var q = query("limit=0&page=abc&size=50")
        #expect(q.int("limit", default: 100, in: 1...1000) == 100)
        #expect(q.optionalInt("page", in: 1...10) == nil)
        #expect(q.int("size", default: 10, in: 1...100) == 50)
        #expect(q.int("absent", default: 7, in: 1...10) == 7)
        #expect(q.issues == [FieldIssue(field: "limit", issue: "must be between 1 and 1000"), FieldIssue(field: "page", issue: "must be an integer")])
        #expect(throws: AppError.self) { try q.validate() }
    }

    @Test func datesMustBeRealDaysAndRangesOrdered() {
        var q = query("from=2024-02-29&to=2024-01-01&bad=2023-02-29&worse=2024-1-5")
        let range = q.dateRange()
        #expect(range.from == PostgresDate(year: 2024, month: 2, day: 29) && range.to == PostgresDate(year: 2024, month: 1, day: 1))
        #expect(q.date("bad") == nil && q.date("worse") == nil)
        #expect(q.issues.map(\.field) == ["to", "bad", "worse"])
    }

    @Test func listsEnumsAndUnknownParameters() {
        var q = query("symbols=AAPL,MSFT&symbols=AAPL,SPY&side=up&typo=1")
        #expect(q.list("symbols") == ["AAPL", "MSFT", "SPY"])
        #expect(q.oneOf("side", ["left", "right"], default: "left") == "left")
        #expect(q.list("symbols", allowed: ["AAPL", "MSFT"]) == ["AAPL", "MSFT", "SPY"])
        q.allowOnly(["symbols", "side"])
        #expect(q.issues.map(\.field) == ["side", "symbols", "typo"])
    }

    @Test func cursorsRoundTripAndForgeriesAreRefused() {
        let c = PageCursor(["2024-01-31", "AAPL", "with\u{1F}separator?"].map { $0.replacingOccurrences(of: "\u{1F}", with: "") })
        var q = query("cursor=" + c.encoded)
        #expect(q.cursor() == c)
        var bad = query("cursor=***")
        #expect(bad.cursor() == nil && bad.issues.first?.field == "cursor")
        var nonCanonical = query("cursor=QQ")
        #expect(nonCanonical.cursor() == PageCursor(["A"]))
        var leftoverBits = query("cursor=QR")
        #expect(leftoverBits.cursor() == nil, "each cursor has one spelling")
    }

    @Test func base64URLRoundTrips() {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(Base64URL.decode(text) == bytes)
        }
        #expect(Base64URL.decode("a") == nil && Base64URL.decode("ab=c") == nil)
    }
}
