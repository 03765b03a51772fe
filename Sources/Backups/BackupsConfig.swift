import Crypto
import Foundation
import HTTPClient
import Platform

/// Backups' section of the configuration.
struct BackupsConfig: Sendable {
    /// What a backup without a key says: what is missing and how to make one.
    static let missingKey = AppError(.serviceUnavailable, """
        Backups need BACKUP_ENCRYPTION_KEY (32 bytes as 64 hex characters). Make one with `openssl rand -hex 32 > backup.key`, \
        keep it apart from the backups (none can be read without it), and set BACKUP_ENCRYPTION_KEY_FILE=backup.key
        """)

    var enabled = true
    var intervalMs = 3_600_000
    var key: [UInt8]?
    var directory = "backups"
    var retention = RetentionPolicy()
    var s3: S3Client.Settings?

    static let variables: [ConfigVariable] = [
        ConfigVariable("BACKUP_ENABLED", "true", "take scheduled backups (one instance runs each); needs BACKUP_ENCRYPTION_KEY"),
        ConfigVariable("BACKUP_INTERVAL", "1h", "time between scheduled backups"),
        ConfigVariable("BACKUP_ENCRYPTION_KEY", "", "32-byte AES-256-GCM key as 64 hex characters or base64; give it as BACKUP_ENCRYPTION_KEY_FILE; required in production when BACKUP_ENABLED", secret: true),
        ConfigVariable("BACKUP_KEEP_DAILY", "7", "retention: newest backup of each of this many last days"),
        ConfigVariable("BACKUP_KEEP_WEEKLY", "4", "retention: newest backup of each of this many last ISO weeks"),
        ConfigVariable("BACKUP_KEEP_MONTHLY", "12", "retention: newest backup of each of this many last months"),
        ConfigVariable("BACKUP_KEEP_YEARLY", "5", "retention: newest backup of each of this many last years"),
        ConfigVariable("BACKUP_S3_BUCKET", "", "copy every backup to this S3-compatible bucket (empty: local only)"),
        ConfigVariable("BACKUP_S3_ENDPOINT", "https://s3.amazonaws.com", "S3-compatible endpoint (path-style requests)"),
        ConfigVariable("BACKUP_S3_REGION", "us-east-1", "region used in request signatures"),
        ConfigVariable("BACKUP_S3_PREFIX", "apiserver/", "key prefix of backups in the bucket"),
        ConfigVariable("BACKUP_S3_ACCESS_KEY_ID", "", "S3 access key id; give it as BACKUP_S3_ACCESS_KEY_ID_FILE", secret: true),
        ConfigVariable("BACKUP_S3_SECRET_ACCESS_KEY", "", "S3 secret key; give it as BACKUP_S3_SECRET_ACCESS_KEY_FILE", secret: true),
        ConfigVariable("BACKUP_S3_PART_SIZE_MB", "8", "multipart upload part size in MiB (5-512); smaller files go in one PUT"),
        ConfigVariable("BACKUP_S3_CA_FILE", "", "PEM CA certificates to trust for the endpoint instead of the system's"),
    ]

    /// 64 hex characters or base64 of exactly 32 bytes.
    static func parseKey(_ text: String) -> [UInt8]? {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.count == 64, t.allSatisfy(\.isHexDigit) {
            var out: [UInt8] = []
            var i = t.startIndex
            while i < t.endIndex {
                let j = t.index(i, offsetBy: 2)
                out.append(UInt8(t[i..<j], radix: 16)!)
                i = j
            }
            return out
        }
        if let d = Data(base64Encoded: t), d.count == 32 { return Array(d) }
        return nil
    }

    static func read(_ services: AppServices) throws -> BackupsConfig {
        let r = ConfigReader(services.environment)
        var c = BackupsConfig()
        c.directory = services.config.backupDirectory
        c.enabled = try r.bool("BACKUP_ENABLED") ?? true
        c.intervalMs = try r.duration("BACKUP_INTERVAL") ?? 3_600_000
        guard c.intervalMs >= 1_000 else { throw ConfigError("BACKUP_INTERVAL", "must be at least 1s") }
        if let text = try r.string("BACKUP_ENCRYPTION_KEY"), !text.isEmpty {
            guard let key = parseKey(text) else { throw ConfigError("BACKUP_ENCRYPTION_KEY", "must be 32 bytes written as 64 hex characters or base64") }
            c.key = key
        } else if c.enabled && services.config.environment == .production {
            throw ConfigError("BACKUP_ENCRYPTION_KEY", "is required when BACKUP_ENABLED=true in production")
        }
        c.retention = RetentionPolicy(daily: try r.int("BACKUP_KEEP_DAILY", 0...3650) ?? 7, weekly: try r.int("BACKUP_KEEP_WEEKLY", 0...520) ?? 4,
                                      monthly: try r.int("BACKUP_KEEP_MONTHLY", 0...1200) ?? 12, yearly: try r.int("BACKUP_KEEP_YEARLY", 0...100) ?? 5)
        if let bucket = try r.string("BACKUP_S3_BUCKET"), !bucket.isEmpty {
            let access = try r.string("BACKUP_S3_ACCESS_KEY_ID") ?? "", secret = try r.string("BACKUP_S3_SECRET_ACCESS_KEY") ?? ""
            guard !access.isEmpty, !secret.isEmpty else {
                throw ConfigError("BACKUP_S3_ACCESS_KEY_ID", "BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY are required with BACKUP_S3_BUCKET")
            }
            c.s3 = S3Client.Settings(endpoint: try r.string("BACKUP_S3_ENDPOINT") ?? "https://s3.amazonaws.com",
                                     region: try r.string("BACKUP_S3_REGION") ?? "us-east-1", bucket: bucket,
                                     prefix: try r.string("BACKUP_S3_PREFIX") ?? "apiserver/", accessKey: access, secretKey: secret,
                                     caFile: try r.string("BACKUP_S3_CA_FILE").flatMap { $0.isEmpty ? nil : $0 })
            c.s3!.partSize = (try r.int("BACKUP_S3_PART_SIZE_MB", 5...512) ?? 8) << 20
            guard URLParts(c.s3!.endpoint) != nil else { throw ConfigError("BACKUP_S3_ENDPOINT", "must be an http(s) URL") }
        }
        return c
    }
}

