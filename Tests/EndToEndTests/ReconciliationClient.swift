import Foundation
import ReconciliationFixtures
import Testing

/// A user of the reconciliation API over real sockets: the real binary, HTTP/1.1.
struct ReconciliationClient {
    let server: ServerProcess
    let token: String?

    static let password = "a perfectly fine password"

    /// Registers and logs in a new user.
    static func user(_ server: ServerProcess, _ email: String) throws -> ReconciliationClient {
        _ = try AccountsTests.register(server, email)
        return ReconciliationClient(server: server, token: try AccountsTests.login(server, email).access)
    }

    var auth: [(String, String)] { token.map { [("Authorization", "Bearer \($0)")] } ?? [] }

    func call(_ method: String, _ path: String, json: String? = nil, contentType: String? = nil, body: [UInt8] = [],
              headers extra: [(String, String)] = []) throws -> WireResponse {
        var headers = auth + extra
        var payload = body
        if let json {
            headers.append(("Content-Type", "application/json"))
            payload = Array(json.utf8)
        } else if let contentType {
            headers.append(("Content-Type", contentType))
        }
        let c = try RawConnection(port: server.port, timeout: 120)
        var text = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n"
        for (n, v) in headers { text += "\(n): \(v)\r\n" }
        if !payload.isEmpty || method != "GET" { text += "Content-Length: \(payload.count)\r\n" }
        text += "\r\n"
        try c.send(Array(text.utf8) + payload)
        return try c.readResponse()
    }

    static func data(_ r: WireResponse) -> [String: Any] { r.json?["data"] as? [String: Any] ?? [:] }
    static func list(_ r: WireResponse) -> [[String: Any]] { r.json?["data"] as? [[String: Any]] ?? [] }

    func project(_ name: String) throws -> String {
        let r = try call("POST", "/api/v1/projects", json: #"{"name":"\#(name)"}"#)
        #expect(r.status == 201, "\(r.text)")
        return Self.data(r)["id"] as? String ?? ""
    }

    func addMember(_ project: String, email: String, role: String) throws {
        let r = try call("POST", "/api/v1/projects/\(project)/members", json: #"{"user_email":"\#(email)","role":"\#(role)"}"#)
        #expect(r.status == 201, "\(r.text)")
    }

    static let ledgerMapping = #"{"id":"id","date":"date","amount":"amount","currency":"currency","reference":"reference","description":"description","counterparty":"counterparty"}"#
    static let bankMapping = #"{"id":"Txn ID","date":"Booking Date","debit":"Debit","credit":"Credit","currency":"Currency","reference":"Reference","description":"Details","counterparty":"Counterparty"}"#

    func source(_ project: String, _ name: String, kind: String, mapping: String) throws -> String {
        let r = try call("POST", "/api/v1/projects/\(project)/sources", json: #"{"name":"\#(name)","kind":"\#(kind)","mapping":\#(mapping)}"#)
        #expect(r.status == 201, "\(r.text)")
        return Self.data(r)["id"] as? String ?? ""
    }

    func upload(_ project: String, _ source: String, _ bytes: [UInt8], query: String = "") throws -> WireResponse {
        try call("POST", "/api/v1/projects/\(project)/sources/\(source)/uploads\(query)", contentType: "text/csv", body: bytes)
    }

    func startJob(_ project: String, left: String, right: String, extra: String = "") throws -> String {
        let r = try call("POST", "/api/v1/projects/\(project)/reconciliation-jobs",
                         json: #"{"left_source_id":"\#(left)","right_source_id":"\#(right)"\#(extra)}"#)
        #expect(r.status == 202, "\(r.text)")
        let id = Self.data(r)["id"] as? String ?? ""
        #expect(r.header("Location") == "/api/v1/projects/\(project)/reconciliation-jobs/\(id)", "a 202 says where to follow the job")
        return id
    }

    func job(_ project: String, _ id: String) throws -> [String: Any] {
        Self.data(try call("GET", "/api/v1/projects/\(project)/reconciliation-jobs/\(id)"))
    }

    /// Polls until the job leaves queued/running (or `timeout` passes).
    func waitForJob(_ project: String, _ id: String, timeout: TimeInterval = 120) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let j = try job(project, id)
            if let s = j["status"] as? String, !["queued", "running"].contains(s) { return j }
            usleep(100_000)
        }
        return try job(project, id)
    }

    /// A generated ledger and bank statement, uploaded to two new sources of `project`.
    func loadGenerated(_ project: String, count: Int, seed: UInt64 = 11) throws -> (left: String, right: String, data: SyntheticDataset) {
        let data = SyntheticGenerator.make(count: count, seed: seed)
        let left = try source(project, "ledger", kind: "ledger", mapping: Self.ledgerMapping)
        let right = try source(project, "bank", kind: "bank", mapping: Self.bankMapping)
        let a = try upload(project, left, SyntheticCSV.ledger(data.left))
        #expect(a.status == 201, "\(a.text.prefix(500))")
        let b = try upload(project, right, SyntheticCSV.bank(data.right))
        #expect(b.status == 201, "\(b.text.prefix(500))")
        return (left, right, data)
    }
}
