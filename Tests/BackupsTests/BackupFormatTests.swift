import Crypto
import Foundation
import Testing
@testable import Backups

@Suite struct BackupFormatTests {
    static let key = Array(0..<32).map { UInt8($0) }

    static func seal(_ plaintext: [UInt8], chunk: Int = 4096) throws -> [UInt8] {
        var out: [UInt8] = []
        let w = try EncryptingWriter(key: key, chunkSize: chunk) { out += $0 }
        var i = 0
        while i < plaintext.count {
            let n = min(777, plaintext.count - i)
            try w.write(Array(plaintext[i..<(i + n)]))
            i += n
        }
        try w.finish()
        return out
    }

    static func open(_ file: [UInt8], key: [UInt8] = key) throws -> [UInt8] {
        var position = 0
        var out: [UInt8] = []
        try DecryptingReader.run(key: key, read: { n in
            let part = Array(file[position..<min(file.count, position + n)])
            position += part.count
            return part
        }) { out += $0 }
        return out
    }

    @Test func roundTripAndEveryKindOfDamageIsRefused() throws {
        let plain = (0..<20_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let file = try Self.seal(plain)
        #expect(try Self.open(file) == plain)
        #expect(try Self.open(try Self.seal([])) == [], "an empty stream is one empty final chunk")
        #expect(try Self.open(try Self.seal(Array(plain.prefix(8192)))) == Array(plain.prefix(8192)), "a final chunk of exactly the chunk size")
        // Any single flipped byte (header, lengths, ciphertext, tags) is refused.
        for offset in [0, 10, 20, 30, 36, 40, 100, 4096, file.count - 1] {
            var bad = file
            bad[offset] ^= 0x01
            #expect(throws: (any Error).self, "byte \(offset)") { try Self.open(bad) }
        }
        // Truncation anywhere, trailing bytes, the wrong key.
        for cut in [10, 36, 40, 4000, file.count - 17, file.count - 1] {
            #expect(throws: (any Error).self, "cut at \(cut)") { try Self.open(Array(file.prefix(cut))) }
        }
        #expect(throws: (any Error).self) { try Self.open(file + [0]) }
        #expect(throws: (any Error).self) { try Self.open(file, key: Array(repeating: 7, count: 32)) }
        // Swapping two whole chunks (same size) is refused: the index is in the nonce and the AAD.
        let chunk = 4 + 4096 + 16
        var swapped = file
        let a = 36, b = 36 + chunk
        swapped.replaceSubrange(a..<(a + chunk), with: file[b..<(b + chunk)])
        swapped.replaceSubrange(b..<(b + chunk), with: file[a..<(a + chunk)])
        #expect(throws: (any Error).self) { try Self.open(swapped) }
        // Dropping the final chunk is refused as truncation.
        let chunks = (plain.count + 4095) / 4096
        let withoutLast = Array(file.prefix(36 + (chunks - 1) * chunk))
        #expect(throws: (any Error).self) { try Self.open(withoutLast) }
    }

    @Test func payloadRecordsParseFromAnySplit() throws {
        let records: [PayloadRecord] = [.table("users"), .data(Array("a\tb\n".utf8)), .data([]), .end(rows: 1, sha256: Array(repeating: 9, count: 32)),
                                        .table("prices"), .data(Array(repeating: 0x41, count: 70_000)), .end(rows: 0, sha256: Array(repeating: 1, count: 32)),
                                        .manifest(Array("{}".utf8)), .done]
        let bytes = records.flatMap(\.bytes)
        for step in [1, 3, 7, 4096, bytes.count] {
            var parser = PayloadParser()
            var seen: [PayloadRecord] = []
            var i = 0
            while i < bytes.count {
                try parser.feed(Array(bytes[i..<min(bytes.count, i + step)])) { seen.append($0) }
                i += step
            }
            #expect(seen == records, "split \(step)")
        }
        var p = PayloadParser()
        #expect(throws: (any Error).self) { try p.feed([UInt8(ascii: "Q")]) { _ in } }
    }

    @Test func gzipStreamsRoundTrip() throws {
        let input = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
        var compressed: [UInt8] = []
        let c = try GzipCompressor()
        for start in stride(from: 0, to: input.count, by: 10_000) { try c.write(Array(input[start..<min(input.count, start + 10_000)])) { compressed += $0 } }
        try c.finish { compressed += $0 }
        #expect(compressed.count < input.count / 10)
        #expect(try Gzip.decompress(compressed, maxOutput: 1 << 20) == input)
        var output: [UInt8] = []
        let d = try GzipDecompressor()
        for start in stride(from: 0, to: compressed.count, by: 333) { try d.write(Array(compressed[start..<min(compressed.count, start + 333)])) { output += $0 } }
        #expect(output == input && d.finished)
    }

    @Test func retentionKeepsExactlyTheGrandfatherFatherSonSet() {
        // Two years of hourly backups, from 2025-01-01 00:00 to 2026-12-31 23:00 UTC.
        let start = Date(timeIntervalSince1970: 1_735_689_600)
        let items = (0..<(730 * 24)).map { RetentionPolicy.Item(id: String($0), time: start.addingTimeInterval(Double($0) * 3600), verified: true) }
        let keep = RetentionPolicy().keep(items)
        let c = RetentionPolicy.calendar
        func hour(_ id: String) -> Date { start.addingTimeInterval(Double(Int(id)!) * 3600) }
        var expected = Set<String>()
        // Daily: 23:00 of each of the last 7 days (2026-12-25 ... 2026-12-31).
        for d in 0..<7 { expected.insert(String(729 * 24 - d * 24 + 23)) }
        // Weekly: the newest of each of the last 4 ISO weeks: Sundays 23:00 except the current week's newest (already daily).
        let newest = items.last!.time
        var weeks: [String] = []
        for item in items.reversed() {
            let w = c.dateComponents([.yearForWeekOfYear, .weekOfYear], from: item.time)
            let k = "\(w.yearForWeekOfYear!)-\(w.weekOfYear!)"
            if !weeks.contains(k) { weeks.append(k); expected.insert(item.id) }
            if weeks.count == 4 { break }
        }
        // Monthly: the last hour of each of the last 12 months; yearly: the last hour of 2026 and of 2025.
        var months: [String] = []
        for item in items.reversed() {
            let m = c.dateComponents([.year, .month], from: item.time)
            let k = "\(m.year!)-\(m.month!)"
            if !months.contains(k) { months.append(k); expected.insert(item.id) }
            if months.count == 12 { break }
        }
        expected.insert(String(365 * 24 - 1))
        #expect(keep == expected)
        // 7 days; of the 4 weeks two end inside those days (Thu 31 Dec, Sun 27 Dec), so 2 more; 11 more months
        // (December is the newest day); 2025 as a year: 21.
        #expect(keep.count == 7 + 2 + 11 + 1, "a backup counts for day, week, month and year at once")
        #expect(keep.contains(items.last!.id) && hour(items.last!.id) == newest)
        // The newest verified backup stays even when the policy keeps nothing.
        let none = RetentionPolicy(daily: 0, weekly: 0, monthly: 0, yearly: 0)
        #expect(none.keep(items) == [items.last!.id])
        var unverified = items
        unverified[unverified.count - 1].verified = false
        #expect(none.keep(unverified) == [items[items.count - 2].id])
    }

    @Test func signatureVersion4MatchesAWSPublishedExample() {
        // The example of AWS's "Create a signed request" documentation (IAM ListUsers, 2015-08-30).
        let signer = SigV4(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region: "us-east-1", service: "iam")
        let date = Date(timeIntervalSince1970: 1_440_938_160)
        let headers = signer.sign(method: "GET", path: "/", query: [("Action", "ListUsers"), ("Version", "2010-05-08")],
                                  headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Host", "iam.amazonaws.com"),
                                            ("X-Amz-Date", "20150830T123600Z")],
                                  payloadHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", date: date, signContentHash: false)
        let auth = headers.first { $0.0 == "Authorization" }?.1 ?? ""
        #expect(auth == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
        #expect(SigV4.encode("a b/c~d*", keepSlash: true) == "a%20b/c~d%2A")
        #expect(SigV4.canonicalQuery([("b", "2"), ("a", "x y"), ("uploads", "")]) == "a=x%20y&b=2&uploads=")
    }
}
