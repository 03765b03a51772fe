import Foundation
import Platform

/// JSON shapes of reconciliation's responses. Amounts are exact decimal strings; absent
/// values are null, never missing.
struct SourceView: Encodable {
    let source: SourceRecord
    enum CodingKeys: String, CodingKey {
        case id, projectID = "project_id", name, kind, mapping, options, recordCount = "record_count", uploadCount = "upload_count"
        case createdAt = "created_at", updatedAt = "updated_at"
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let settings = try SourceService.settings(source)
        try c.encode(source.id.uuidString.lowercased(), forKey: .id)
        try c.encode(source.projectID.uuidString.lowercased(), forKey: .projectID)
        try c.encode(source.name, forKey: .name)
        try c.encode(source.kind, forKey: .kind)
        try c.encode(MappingView(mapping: settings.mapping), forKey: .mapping)
        try c.encode(settings.options, forKey: .options)
        try c.encode(source.recordCount, forKey: .recordCount)
        try c.encode(source.uploadCount, forKey: .uploadCount)
        try c.encode(source.createdAt, forKey: .createdAt)
        try c.encode(source.updatedAt, forKey: .updatedAt)
    }
}

struct MappingView: Encodable {
    let mapping: SourceSettings.Mapping
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        let named = Dictionary(uniqueKeysWithValues: mapping.named.map { ($0.field, $0.header) })
        for f in SourceSettings.Mapping.fields { try c.encode(named[f], forKey: Key(stringValue: f)) }
    }
}

struct DialectView: Encodable {
    let dialect: Dialect
    enum CodingKeys: String, CodingKey { case delimiter, dateFormat = "date_format", decimalSeparator = "decimal_separator" }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(String(decoding: [dialect.delimiter], as: UTF8.self), forKey: .delimiter)
        try c.encode(dialect.dateFormat.rawValue, forKey: .dateFormat)
        try c.encode(dialect.decimalSeparator.rawValue, forKey: .decimalSeparator)
    }
}

struct UploadView: Encodable {
    let upload: UploadRecord
    var dialect: Dialect?
    var replaced: UUID?
    enum CodingKeys: String, CodingKey {
        case id, sourceID = "source_id", fileName = "file_name", sizeBytes = "size_bytes", contentType = "content_type", sha256
        case rowCount = "row_count", uploadedBy = "uploaded_by", createdAt = "created_at", dialect, replacedUploadID = "replaced_upload_id"
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(upload.id.uuidString.lowercased(), forKey: .id)
        try c.encode(upload.sourceID.uuidString.lowercased(), forKey: .sourceID)
        try c.encode(upload.fileName, forKey: .fileName)
        try c.encode(upload.sizeBytes, forKey: .sizeBytes)
        try c.encode(upload.contentType, forKey: .contentType)
        try c.encode(upload.sha256, forKey: .sha256)
        try c.encode(upload.rowCount, forKey: .rowCount)
        try c.encode(upload.uploadedBy.uuidString.lowercased(), forKey: .uploadedBy)
        try c.encode(upload.createdAt, forKey: .createdAt)
        if let dialect { try c.encode(DialectView(dialect: dialect), forKey: .dialect) }
        if dialect != nil { try c.encode(replaced?.uuidString.lowercased(), forKey: .replacedUploadID) }
    }
}

struct PreviewView: Encodable {
    let preview: PreviewResult
    enum CodingKeys: String, CodingKey { case header, dialect, rows, issues }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(preview.header, forKey: .header)
        try c.encode(preview.dialect.map(DialectView.init), forKey: .dialect)
        try c.encode(preview.rows.map { RecordView($0) }, forKey: .rows)
        try c.encode(preview.issues.map { ["line": String($0.line), "column": $0.column, "reason": $0.reason] }, forKey: .issues)
    }
}

struct JobView: Encodable {
    let job: ReconciliationJobRecord
    var counts: MatchCounts?
    enum CodingKeys: String, CodingKey {
        case id, projectID = "project_id", name, leftSourceID = "left_source_id", rightSourceID = "right_source_id"
        case threshold = "confidence_threshold", rules, status, progress, progressMessage = "progress_message", error, stats, counts, model
        case totalRecords = "total_records", processedRecords = "records_processed", records
        case createdAt = "created_at", startedAt = "started_at", finishedAt = "finished_at"
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(job.id.uuidString.lowercased(), forKey: .id)
        try c.encode(job.projectID.uuidString.lowercased(), forKey: .projectID)
        try c.encode(job.name, forKey: .name)
        try c.encode(job.leftSourceID.uuidString.lowercased(), forKey: .leftSourceID)
        try c.encode(job.rightSourceID.uuidString.lowercased(), forKey: .rightSourceID)
        try c.encode(job.threshold, forKey: .threshold)
        try c.encode(try JSONDecoder().decode(JobRules.self, from: Data(job.rules.utf8)), forKey: .rules)
        try c.encode(job.status, forKey: .status)
        try c.encode(job.progress, forKey: .progress)
        try c.encode(job.progressMessage, forKey: .progressMessage)
        try c.encode(job.totalRecords, forKey: .totalRecords)
        try c.encode(job.processedRecords, forKey: .processedRecords)
        // Both sides' totals once the job has read them (total_records is the left side's, the
        // side whose records progress counts).
        let read = (try? JSONDecoder().decode([String: Int].self, from: Data(job.stats.utf8))) ?? [:]
        if let l = read["left_records"], let r = read["right_records"] { try c.encode(["left": l, "right": r], forKey: .records) }
        try c.encode(job.error, forKey: .error)
        let stats = (try? JSONDecoder().decode([String: Int].self, from: Data(job.stats.utf8))) ?? [:]
        try c.encode(stats, forKey: .stats)
        try c.encode(job.model.flatMap { try? JSONDecoder().decode(ModelReport.self, from: Data($0.utf8)) }, forKey: .model)
        if let counts {
            try c.encode(["pairs": counts.pairs, "groups": counts.groups, "proposed": counts.proposed, "confirmed": counts.confirmed,
                          "rejected": counts.rejected, "unmatched_left": stats["unmatched_left"] ?? 0, "unmatched_right": stats["unmatched_right"] ?? 0],
                         forKey: .counts)
        }
        try c.encode(job.createdAt, forKey: .createdAt)
        try c.encode(job.startedAt, forKey: .startedAt)
        try c.encode(job.finishedAt, forKey: .finishedAt)
    }
}

/// A record as stored (with its database id) or as a preview parsed it (with its line).
struct RecordView: Encodable {
    var id: Int64?
    var line: Int?
    var externalID, date, amount, currency: String
    var reference, description, counterparty: String?

    init(_ r: RecordRow) {
        self.init(id: r.id, line: nil, externalID: r.externalID, date: r.date, amount: r.amount, currency: r.currency, reference: r.reference,
                  description: r.description, counterparty: r.counterparty)
    }

    init(_ r: ParsedRecord) {
        self.init(id: nil, line: r.line, externalID: r.externalID, date: r.date, amount: r.amount, currency: r.currency, reference: r.reference,
                  description: r.description, counterparty: r.counterparty)
    }

    private init(id: Int64?, line: Int?, externalID: String, date: String, amount: String, currency: String, reference: String?,
                 description: String?, counterparty: String?) {
        (self.id, self.line, self.externalID, self.date, self.amount) = (id, line, externalID, date, amount)
        (self.currency, self.reference, self.description, self.counterparty) = (currency, reference, description, counterparty)
    }

    enum CodingKeys: String, CodingKey { case id, line, externalID = "external_id", date, amount, currency, reference, description, counterparty }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let id { try c.encode(id, forKey: .id) }
        if let line { try c.encode(line, forKey: .line) }
        try c.encode(externalID, forKey: .externalID)
        try c.encode(date, forKey: .date)
        try c.encode(amount, forKey: .amount)
        try c.encode(currency, forKey: .currency)
        try c.encode(reference, forKey: .reference)
        try c.encode(description, forKey: .description)
        try c.encode(counterparty, forKey: .counterparty)
    }
}

struct MatchView: Encodable {
    let match: ReviewedMatch
    enum CodingKeys: String, CodingKey {
        case id, type, status, confidence, signals, note, left, right, reviewedBy = "reviewed_by", reviewedAt = "reviewed_at", createdAt = "created_at"
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let m = match.match
        try c.encode(m.id.uuidString.lowercased(), forKey: .id)
        try c.encode(m.kind, forKey: .type)
        try c.encode(m.status, forKey: .status)
        try c.encode(Double(m.confidence) ?? 0, forKey: .confidence)
        try c.encode((try? JSONDecoder().decode(SignalsView.self, from: Data(m.details.utf8))) ?? SignalsView(), forKey: .signals)
        try c.encode(m.note, forKey: .note)
        try c.encode(match.left.map { RecordView($0) }, forKey: .left)
        try c.encode(match.right.map { RecordView($0) }, forKey: .right)
        try c.encode(m.reviewedBy?.uuidString.lowercased(), forKey: .reviewedBy)
        try c.encode(m.reviewedAt, forKey: .reviewedAt)
        try c.encode(m.createdAt, forKey: .createdAt)
    }
}

/// The stored signals, passed through (manual matches have none).
struct SignalsView: Codable {
    var amountDifference: String?
    var dateDistance: Int?
    var reference: String?
    var counterpartySimilarity: Double?
    var score: Double?
    var competitors: Int?
    var contributions: [Contribution]?
    var manual: Bool?
    /// Why a pair scored as it did: each field's level and its weight in the job's model.
    struct Contribution: Codable {
        var field: String
        var level: String
        var weight: Double
    }
    enum CodingKeys: String, CodingKey {
        case amountDifference = "amount_difference", dateDistance = "date_distance_business_days", reference
        case counterpartySimilarity = "counterparty_similarity", score, competitors, contributions, manual
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if manual == true { try c.encode(true, forKey: .manual); return }
        try c.encode(amountDifference, forKey: .amountDifference)
        try c.encode(dateDistance, forKey: .dateDistance)
        try c.encode(reference, forKey: .reference)
        try c.encode(counterpartySimilarity, forKey: .counterpartySimilarity)
        try c.encode(score, forKey: .score)
        try c.encode(competitors, forKey: .competitors)
        try c.encode(contributions ?? [], forKey: .contributions)
    }
}
