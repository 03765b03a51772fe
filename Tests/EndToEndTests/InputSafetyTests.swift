import Foundation
import Testing

/// No input traps the process: out-of-range and malformed query values get a field-level 400.
@Suite struct InputSafetyTests {
    @Test func negativeAndHugeQueryValuesAreRefusedNotTrapped() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let cases = ["/__test/sleep?ms=-1", "/__test/large?bytes=-100", "/__test/stream?size=-1", "/__test/stream?chunks=-5",
                     "/__test/sleep?ms=99999999999999999999", "/__test/large?bytes=abc", "/__test/stream?fail_after=-1"]
        for path in cases {
            let r = try server.request("GET", path)
            #expect(r.status == 400, "\(path)")
            let error = r.json?["error"] as? [String: Any]
            #expect(error?["code"] as? String == "VALIDATION_ERROR", "\(path)")
            let field = (error?["details"] as? [[String: Any]])?.first?["field"] as? String
            #expect(field.map { path.contains("?\($0)=") } == true, "the issue names the parameter: \(path)")
        }
        #expect(server.process.isRunning)
        #expect(try server.request("GET", "/health").status == 200)
    }
}
