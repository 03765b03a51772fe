import Foundation
import Logging
import Platform
import Postgres

/// The backup use cases: take one (write, verify by reading it back, record, copy off-site,
/// prune), list, prune, verify, restore.
public final class BackupService: Sendable {
    let config: BackupsConfig
    let metrics: BackupMetrics
    let s3: S3Client?

    init(config: BackupsConfig, metrics: BackupMetrics) throws {
        self.config = config
        self.metrics = metrics
        s3 = try config.s3.map(S3Client.init)
    }

    public struct RunStats: Encodable, Sendable {
        var backupID: String
        var file: String
        var location: String
        var tables: Int
        var rows: Int
        var plaintextBytes: Int
        var fileBytes: Int
        var durationMs: Int
        var verifyMs: Int
        var pruned: [String]

        enum CodingKeys: String, CodingKey {
            case backupID = "backup_id", file, location, tables, rows, plaintextBytes = "plaintext_bytes", fileBytes = "file_bytes"
            case durationMs = "duration_ms", verifyMs = "verify_ms", pruned
        }
    }

    func key() throws -> [UInt8] {
        guard let key = config.key else { throw BackupsConfig.missingKey }
        return key
    }

    /// Takes a backup on `pool`; on success applies retention.
    func run(pool: ConnectionPool, retentionClass: String, logger: Logger, progress: (String) -> Void = { _ in }) throws -> RunStats {
        let key = try key()
        let started = Date()
        let id = try pool.transaction { tx in
            try tx.query(BackupRepository.interrupted)
            return try tx.query(BackupRepository.start(retentionClass: retentionClass)).first!.decode("id", as: UUID.self)
        }
        do {
            let written = try BackupWriter.write(pool: pool, key: key, directory: config.directory, id: id.uuidString.lowercased(), progress: progress)
            let verifyStart = Date()
            progress("verifying")
            _ = try BackupReader.verify(path: written.path, key: key)
            let verifyMs = Int(Date().timeIntervalSince(verifyStart) * 1000)
            var location = written.path
            let name = (written.path as NSString).lastPathComponent
            if let s3 {
                progress("uploading")
                try s3.upload(file: written.path, as: name)
                try s3.upload(file: BackupNames.manifestPath(written.path), as: name + ".manifest.json")
                location = "s3://\(s3.settings.bucket)/\(s3.objectKey(name))"
            }
            try pool.transaction { tx in
                try tx.query(BackupRepository.succeeded(id, location: location, size: written.manifest.fileBytes ?? 0,
                                                        sha256: written.manifest.fileSHA256 ?? "", tables: written.manifest.tables.map(\.name)))
                try AuditTrail.record(tx, AuditEntry(userID: nil, action: "backup.created", resourceType: "backup", resourceID: id.uuidString.lowercased(),
                                                     newValues: #"{"location":\#(JSONWriter.quoted(location)),"bytes":\#(written.manifest.fileBytes ?? 0)}"#))
            }
            let duration = Date().timeIntervalSince(started)
            metrics.finished(outcome: "succeeded", seconds: duration, bytes: written.manifest.fileBytes ?? 0)
            progress("pruning")
            let pruned = try prune(pool: pool, dryRun: false, logger: logger)
            return RunStats(backupID: id.uuidString.lowercased(), file: written.path, location: location, tables: written.manifest.tables.count,
                            rows: written.manifest.tables.reduce(0) { $0 + $1.rows }, plaintextBytes: written.manifest.plaintextBytes,
                            fileBytes: written.manifest.fileBytes ?? 0, durationMs: Int(duration * 1000), verifyMs: verifyMs, pruned: pruned)
        } catch {
            _ = try? pool.transaction { tx in try tx.query(BackupRepository.failed(id, error: String(describing: error))) }
            metrics.finished(outcome: "failed", seconds: Date().timeIntervalSince(started), bytes: nil)
            throw error
        }
    }

    func list(pool: ConnectionPool) throws -> [BackupRepository.Record] {
        try pool.transaction { tx in try tx.query(BackupRepository.list).map(BackupRepository.decode) }
    }

    /// Applies retention to the successful backups (locally and in S3); returns the ids
    /// deleted (or that would be, with `dryRun`). Never after a failed backup.
    func prune(pool: ConnectionPool, dryRun: Bool, logger: Logger) throws -> [String] {
        let (records, last) = try pool.transaction { tx in
            (try tx.query(BackupRepository.list).map(BackupRepository.decode), try tx.query(BackupRepository.lastStatus).first?.decode("status", as: String.self))
        }
        guard last == "succeeded" else {
            logger.warning("retention skipped: the last backup did not succeed")
            return []
        }
        let live = records.filter { $0.status == "succeeded" }
        let keep = config.retention.keep(live.map { RetentionPolicy.Item(id: $0.id, time: $0.startedDate, verified: true) })
        let doomed = live.filter { !keep.contains($0.id) }
        if dryRun { return doomed.map(\.id) }
        for r in doomed {
            guard let location = r.location, let id = UUID(uuidString: r.id) else { continue }
            let name = (location as NSString).lastPathComponent
            let local = config.directory + "/" + name
            try? FileManager.default.removeItem(atPath: local)
            try? FileManager.default.removeItem(atPath: BackupNames.manifestPath(local))
            if location.hasPrefix("s3://"), let s3 {
                try s3.delete(name)
                try? s3.delete(name + ".manifest.json")
            }
            try pool.transaction { tx in
                try tx.query(BackupRepository.expired(id))
                try AuditTrail.record(tx, AuditEntry(userID: nil, action: "backup.expired", resourceType: "backup", resourceID: r.id))
            }
            logger.info("backup expired by retention", metadata: ["backup_id": .string(r.id), "location": .string(location)])
        }
        return doomed.map(\.id)
    }

    /// A local path for a file given as a path or s3://bucket/key (downloaded to BACKUP_DIR).
    func localCopy(of source: String) throws -> String {
        guard source.hasPrefix("s3://") else { return source }
        guard let s3 else { throw BackupReader.Failure("an s3:// backup needs BACKUP_S3_BUCKET and credentials") }
        let name = (source as NSString).lastPathComponent
        try FileManager.default.createDirectory(atPath: config.directory, withIntermediateDirectories: true)
        let target = config.directory + "/download-" + name
        try s3.download(name, to: target)
        try? s3.download(name + ".manifest.json", to: BackupNames.manifestPath(target))
        return target
    }

    public func verify(_ source: String) throws -> BackupManifest {
        try BackupReader.verify(path: try localCopy(of: source), key: try key())
    }

    func restore(_ source: String, pool: ConnectionPool, migrations: [Migration], replace: Bool, migrate: Bool,
                 log: (String) -> Void) throws -> BackupRestorer.Outcome {
        try BackupRestorer.restore(path: try localCopy(of: source), key: try key(), pool: pool, migrations: migrations,
                                   options: .init(replace: replace, migrate: migrate), log: log)
    }
}
