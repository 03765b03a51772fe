import Crypto
import Foundation
import Postgres

/// Reads a backup file: decrypts and authenticates every chunk, decompresses, parses the
/// records, and checks every table's row count and SHA-256 and the manifest. `verify` does
/// only that; `restore` also loads the rows, and the caller commits only after the whole
/// file checked out.
enum BackupReader {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// Events of a read: a table starts, data arrives, the table ends (checked).
    protocol Sink {
        mutating func begin(table: String) throws
        mutating func data(_ bytes: [UInt8]) throws
        mutating func end(table: String, rows: Int) throws
    }

    struct NoSink: Sink {
        mutating func begin(table: String) throws {}
        mutating func data(_ bytes: [UInt8]) throws {}
        mutating func end(table: String, rows: Int) throws {}
    }

    /// Reads `path` to the end; returns the manifest. Throws on any damage.
    static func read(path: String, key: [UInt8], sink: inout some Sink) throws -> BackupManifest {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure("cannot read \(path)") }
        defer { try? handle.close() }
        let gunzip = try GzipDecompressor()
        var parser = PayloadParser()
        var current: String?
        var hasher = SHA256Hasher()
        var bytes = 0
        var rows = 0
        var tables: [BackupManifest.Table] = []
        var manifest: BackupManifest?
        func record(_ r: PayloadRecord) throws {
            switch r {
            case .table(let name):
                guard current == nil, manifest == nil else { throw Failure("corrupt backup: table \(name) starts inside another") }
                current = name
                hasher = SHA256Hasher()
                bytes = 0
                rows = 0
                try sink.begin(table: name)
            case .data(let d):
                guard current != nil else { throw Failure("corrupt backup: data outside a table") }
                hasher.update(d)
                bytes += d.count
                rows += d.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                try sink.data(d)
            case .end(let count, let sha):
                guard let name = current else { throw Failure("corrupt backup: table end without a start") }
                let digest = hasher.finalize()
                guard digest == sha, UInt64(rows) == count else { throw Failure("backup table \(name) does not match its checksum or row count") }
                try sink.end(table: name, rows: rows)
                tables.append(.init(name: name, rows: rows, bytes: bytes, sha256: Hex.encode(digest)))
                current = nil
            case .manifest(let m):
                guard current == nil else { throw Failure("corrupt backup: manifest inside a table") }
                manifest = try JSONDecoder().decode(BackupManifest.self, from: Data(m))
            case .done:
                break
            }
        }
        try DecryptingReader.run(key: key, read: { n in Array(handle.readData(ofLength: max(1, min(n, 1 << 20)))) }) { plain in
            try gunzip.write(plain) { try parser.feed($0, record) }
        }
        guard gunzip.finished, parser.sawDone, let manifest else { throw Failure("corrupt backup: the payload is incomplete") }
        guard manifest.tables.map(\.name) == tables.map(\.name),
              zip(manifest.tables, tables).allSatisfy({ $0.rows == $1.rows && $0.sha256 == $1.sha256 }) else {
            throw Failure("backup tables do not match its manifest")
        }
        return manifest
    }

    /// Authenticates every chunk of the container (tampering, truncation, reordering, wrong
    /// key) without decompressing: the cheap first pass of a restore, whose loading pass then
    /// checks every table against its digest inside the transaction.
    static func authenticate(path: String, key: [UInt8]) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure("cannot read \(path)") }
        defer { try? handle.close() }
        try DecryptingReader.run(key: key, read: { n in Array(handle.readData(ofLength: max(1, min(n, 1 << 20)))) }) { _ in }
    }

    static func verify(path: String, key: [UInt8]) throws -> BackupManifest {
        var sink = NoSink()
        return try read(path: path, key: key, sink: &sink)
    }
}
