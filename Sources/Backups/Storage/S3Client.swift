import Crypto
import Foundation
import HTTPClient
import SystemSupport

/// An S3-compatible object store (path-style URLs), signed with SigV4: single PUT for small
/// files, multipart upload for large ones, ranged GETs to download in constant memory,
/// ListObjectsV2 and DELETE; 5xx, 429 and network errors retried with backoff and jitter.
final class S3Client: @unchecked Sendable {
    struct Settings: Sendable {
        var endpoint: String
        var region: String
        var bucket: String
        var prefix: String
        var accessKey: String
        var secretKey: String
        var caFile: String?
        var partSize = 8 << 20
        var maxRetries = 4
        var timeoutMs = 60_000
    }

    struct Object: Equatable {
        var key: String
        var size: Int
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let settings: Settings
    let base: URLParts
    let client: HTTPClient
    let signer: SigV4
    var retryBaseMs = 200

    init(_ settings: Settings) throws {
        guard let base = URLParts(settings.endpoint) else { throw Failure(description: "BACKUP_S3_ENDPOINT is not an http(s) URL") }
        self.settings = settings
        self.base = base
        client = try HTTPClient(caFile: settings.caFile, timeoutMs: settings.timeoutMs, maxResponseBytes: 64 << 20)
        signer = SigV4(accessKey: settings.accessKey, secretKey: settings.secretKey, region: settings.region, service: "s3")
    }

    func objectKey(_ name: String) -> String { settings.prefix.isEmpty ? name : (settings.prefix.hasSuffix("/") ? settings.prefix : settings.prefix + "/") + name }

    /// One signed request, retried on transient failures; returns the response of the last try.
    func request(_ method: String, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [], body: [UInt8] = [],
                 expect: Set<Int> = [200]) throws -> HTTPClient.Response {
        var path = (base.target == "/" ? "" : base.target) + "/" + settings.bucket
        if let key { path += "/" + key }
        let queryText = SigV4.canonicalQuery(query)
        var url = base
        url.target = SigV4.encode(path, keepSlash: true) + (queryText.isEmpty ? "" : "?" + queryText)
        var last = "no attempt"
        for attempt in 0...settings.maxRetries {
            let signed = signer.sign(method: method, path: path, query: query, headers: [("host", base.hostHeader)] + headers,
                                     payloadHash: SHA256.hex(body), date: Date())
            do {
                let r = try client.send(method: method, url: url, headers: signed.filter { $0.0 != "host" }, body: body)
                if expect.contains(r.status) { return r }
                last = "HTTP \(r.status): \(String(decoding: r.body.prefix(300), as: UTF8.self))"
                guard r.status >= 500 || r.status == 429 else { throw Failure(description: "S3 \(method) \(key ?? ""): \(last)") }
            } catch let e as HTTPClient.Failure {
                last = e.description
            }
            if attempt < settings.maxRetries {
                let backoff = retryBaseMs << attempt
                usleep(UInt32(backoff + Int.random(in: 0...backoff / 2)) * 1000)
            }
        }
        throw Failure(description: "S3 \(method) \(key ?? "") failed after \(settings.maxRetries + 1) attempts: \(last)")
    }

    /// Uploads a local file (multipart above the part size).
    func upload(file path: String, as name: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure(description: "cannot read \(path)") }
        defer { try? handle.close() }
        let key = objectKey(name)
        let size = Int((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        if size <= settings.partSize {
            _ = try request("PUT", key: key, body: Array(handle.readDataToEndOfFile()))
            return
        }
        let created = try request("POST", key: key, query: [("uploads", "")])
        guard let uploadID = Self.tag("UploadId", in: created.body).first else { throw Failure(description: "S3 did not return an UploadId") }
        do {
            var parts: [(Int, String)] = []
            var number = 1
            while true {
                let data = handle.readData(ofLength: settings.partSize)
                if data.isEmpty { break }
                let r = try request("PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: Array(data))
                guard let etag = r.header("ETag") else { throw Failure(description: "S3 part \(number) has no ETag") }
                parts.append((number, etag))
                number += 1
            }
            let xml = "<CompleteMultipartUpload>" + parts.map { "<Part><PartNumber>\($0.0)</PartNumber><ETag>\($0.1)</ETag></Part>" }.joined()
                + "</CompleteMultipartUpload>"
            let done = try request("POST", key: key, query: [("uploadId", uploadID)], headers: [("Content-Type", "application/xml")], body: Array(xml.utf8))
            if String(decoding: done.body, as: UTF8.self).contains("<Error>") { throw Failure(description: "S3 refused to complete the upload") }
        } catch {
            _ = try? request("DELETE", key: key, query: [("uploadId", uploadID)], expect: [200, 204])
            throw error
        }
    }

    /// Downloads an object to a local file with ranged GETs (constant memory).
    func download(_ name: String, to path: String) throws {
        let key = objectKey(name)
        let file = try SyncedFile(creating: path)
        var offset = 0
        while true {
            let r = try request("GET", key: key, headers: [("Range", "bytes=\(offset)-\(offset + settings.partSize - 1)")], expect: [200, 206, 416])
            if r.status == 416 { break }
            try file.write(r.body)
            offset += r.body.count
            if r.status == 200 || r.body.count < settings.partSize { break }
        }
        try file.syncAndClose()
    }

    func list() throws -> [Object] {
        var out: [Object] = []
        var token: String?
        repeat {
            var q = [("list-type", "2"), ("prefix", settings.prefix)]
            if let token { q.append(("continuation-token", token)) }
            let r = try request("GET", key: nil, query: q)
            let keys = Self.tag("Key", in: r.body), sizes = Self.tag("Size", in: r.body)
            for (k, s) in zip(keys, sizes) { out.append(Object(key: k, size: Int(s) ?? 0)) }
            token = Self.tag("IsTruncated", in: r.body).first == "true" ? Self.tag("NextContinuationToken", in: r.body).first : nil
        } while token != nil
        return out
    }

    func delete(_ name: String) throws { _ = try request("DELETE", key: objectKey(name), expect: [200, 204]) }

    /// The text of every <name>...</name> element (S3's XML is flat enough for this).
    static func tag(_ name: String, in body: [UInt8]) -> [String] {
        let text = String(decoding: body, as: UTF8.self)
        var out: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "<\(name)>"), let close = rest.range(of: "</\(name)>", range: open.upperBound..<rest.endIndex) {
            out.append(String(rest[open.upperBound..<close.lowerBound]).xmlUnescaped)
            rest = rest[close.upperBound...]
        }
        return out
    }
}

extension String {
    var xmlUnescaped: String {
        replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }
}
