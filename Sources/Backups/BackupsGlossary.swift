/// What the backup properties mean (the OpenAPI document's descriptions).
enum BackupsGlossary {
    static let terms: [String: String] = [
        "location": "where the backup file is (a path under BACKUP_DIR, or an s3:// URL)",
        "retention_class": "which retention it counts under: daily, weekly or monthly",
    ]
}
