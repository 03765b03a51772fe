import Crypto
import Foundation
import Postgres
import SystemSupport

/// Takes a backup: one REPEATABLE READ, READ ONLY transaction (a consistent snapshot of every
/// table), each table streamed with COPY through gzip and AES-256-GCM to a temporary file,
/// which is fsynced and renamed into place only when complete. Memory stays constant.
enum BackupWriter {
    struct Result {
        var path: String
        var manifest: BackupManifest
    }

    static func write(pool: ConnectionPool, key: [UInt8], directory: String, id: String, now: () -> Date = { Date() },
                      progress: (String) -> Void = { _ in }) throws -> Result {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let started = now()
        let name = "backup-\(BackupNames.stamp(started))-\(id.prefix(8)).apibk"
        let path = directory + "/" + name
        let temp = path + ".partial"
        let file = try SyncedFile(creating: temp)
        var completed = false
        defer { if !completed { file.close(); unlink(temp) } }
        var compressedBytes = 0
        let encryptor = try EncryptingWriter(key: key) { try file.write($0) }
        let gzip = try GzipCompressor(level: 3)
        // This thread reads COPY; another compresses, encrypts and writes.
        let queue = Pipeline<PayloadRecord>(capacity: 32)
        let compressing = try Pipeline<PayloadRecord>.background {
            do {
                while let r = try queue.take() {
                    try gzip.write(r.bytes) { compressedBytes += $0.count; try encryptor.write($0) }
                }
            } catch {
                queue.fail(error)
                throw error
            }
        }
        func payload(_ r: PayloadRecord) throws { try queue.put(r) }
        var tables: [BackupManifest.Table] = []
        let migrations: [BackupManifest.Migration]
        do {
            migrations = try pool.transaction(isolation: .repeatableRead) { tx -> [BackupManifest.Migration] in
                try tx.query("SET TRANSACTION READ ONLY")
                let migrations = try SchemaCatalog.appliedMigrations(tx)
                for table in try SchemaCatalog.orderedTables(tx) {
                    progress(table)
                    try payload(.table(table))
                    let hasher = SHA256Hasher()
                    var bytes = 0
                    // libpq hands over one row at a time: batch rows into records of ~256 KiB.
                    var batch: [UInt8] = []
                    batch.reserveCapacity(300 * 1024)
                    let rows = try tx.copyOut(unsafeSQL: "COPY (SELECT * FROM \(SchemaCatalog.quoted(table))) TO STDOUT") { chunk in
                        batch += chunk
                        if batch.count >= 256 * 1024 {
                            hasher.update(batch)
                            bytes += batch.count
                            try payload(.data(batch))
                            batch.removeAll(keepingCapacity: true)
                        }
                    }
                    if !batch.isEmpty {
                        hasher.update(batch)
                        bytes += batch.count
                        try payload(.data(batch))
                    }
                    let digest = hasher.finalize()
                    try payload(.end(rows: UInt64(rows), sha256: digest))
                    tables.append(.init(name: table, rows: rows, bytes: bytes, sha256: Hex.encode(digest)))
                }
                return migrations
            }
        } catch {
            queue.fail(error)
            try? compressing()
            throw error
        }
        var manifest = BackupManifest(id: id, schemaVersion: migrations.last?.version ?? 0, migrations: migrations, tables: tables,
                                      plaintextBytes: 0, compressedBytes: 0, startedAt: BackupNames.iso(started), finishedAt: BackupNames.iso(now()),
                                      keyID: Hex.encode(EncryptedStream.keyID(key)), chunkSize: EncryptedStream.defaultChunkSize)
        manifest.plaintextBytes = tables.reduce(0) { $0 + $1.bytes }
        try payload(.manifest(try BackupNames.encoder.encode(manifest).map { $0 }))
        try payload(.done)
        queue.close()
        try compressing()
        try gzip.finish { compressedBytes += $0.count; try encryptor.write($0) }
        try encryptor.finish()
        manifest.compressedBytes = compressedBytes
        try file.syncAndClose()
        try SyncedFile.rename(temp, to: path)
        completed = true
        let (size, digest) = try BackupNames.sizeAndDigest(path)
        manifest.fileBytes = size
        manifest.fileSHA256 = digest
        try BackupNames.writeManifest(manifest, beside: path)
        return Result(path: path, manifest: manifest)
    }
}

/// File names, times and the manifest beside a backup.
enum BackupNames {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func stamp(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: d)
    }

    static func iso(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }

    static func manifestPath(_ path: String) -> String { path + ".manifest.json" }

    static func writeManifest(_ m: BackupManifest, beside path: String) throws {
        try SyncedFile.writeAtomically(Array(try encoder.encode(m)), to: manifestPath(path))
    }

    static func sizeAndDigest(_ path: String) throws -> (Int, String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw EncryptedStream.Failure("cannot read \(path)") }
        defer { try? handle.close() }
        let hasher = SHA256Hasher()
        var size = 0
        while true {
            let d = handle.readData(ofLength: 1 << 20)
            if d.isEmpty { break }
            size += d.count
            hasher.update(Array(d))
        }
        return (size, Hex.encode(hasher.finalize()))
    }
}
