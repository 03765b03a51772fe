/// What a backup holds, inside the encrypted file (the last record) and beside it as JSON.
public struct BackupManifest: Codable, Sendable, Equatable {
    public struct Table: Codable, Sendable, Equatable {
        public var name: String
        public var rows: Int
        public var bytes: Int
        public var sha256: String
    }

    public struct Migration: Codable, Sendable, Equatable {
        public var version: Int
        public var name: String
        public var checksum: String
    }

    public var format = "apiserver-backup"
    public var formatVersion = 1
    public var id: String
    public var schemaVersion: Int
    public var migrations: [Migration]
    public var tables: [Table]
    public var plaintextBytes: Int
    public var compressedBytes: Int
    public var startedAt: String
    public var finishedAt: String
    public var keyID: String
    public var chunkSize: Int
    /// Only in the copy beside the file (the file cannot hold its own digest).
    public var fileBytes: Int?
    public var fileSHA256: String?

    enum CodingKeys: String, CodingKey {
        case format, formatVersion = "format_version", id, schemaVersion = "schema_version", migrations, tables
        case plaintextBytes = "plaintext_bytes", compressedBytes = "compressed_bytes", startedAt = "started_at", finishedAt = "finished_at"
        case keyID = "key_id", chunkSize = "chunk_size", fileBytes = "file_bytes", fileSHA256 = "file_sha256"
    }
}
