import Foundation
import Platform
import Postgres

/// Data sources of a project: who may do what is the project policy's (through the
/// platform's `ProjectAccess`), decided inside the transaction that acts.
final class SourceService: Sendable {
    let pool: ConnectionPool
    let access: ProjectAccess

    init(pool: ConnectionPool, access: ProjectAccess) {
        self.pool = pool
        self.access = access
    }

    static let notFound = AppError.notFound("No data source with this id in this project")

    func create(_ p: Principal, project: UUID, name: String, kind: String, settings: SourceSettings, audit: AuditEntry) throws -> SourceRecord {
        do {
            return try pool.transaction { tx in
                try access.authorize(tx, project: project, principal: p, action: .write)
                guard let s = try tx.query(SourceRepository.insert(project: project, name: name, kind: kind, settings: try Self.text(settings)))
                    .first.map(SourceRecord.decode) else { throw AppError(.internalError, "the source was not stored") }
                var entry = audit
                entry.resourceID = s.id.uuidString.lowercased()
                entry.newValues = try Self.text(settings)
                try AuditTrail.record(tx, entry)
                return s
            }
        } catch let e as PostgresError where e.sqlState == "23505" {
            throw AppError(.conflict, "The project already has a data source with this name")
        }
    }

    func get(_ p: Principal, project: UUID, id: UUID) throws -> SourceRecord {
        try pool.transaction { tx in
            try access.authorize(tx, project: project, principal: p, action: .read)
            return try Self.load(tx, project: project, id: id)
        }
    }

    static func load(_ tx: Transaction, project: UUID, id: UUID, lock: Bool = false) throws -> SourceRecord {
        guard let s = try tx.query(SourceRepository.find(project: project, id: id, forUpdate: lock)).first.map(SourceRecord.decode) else { throw notFound }
        return s
    }

    func list(_ p: Principal, project: UUID, after: (String, UUID)?, limit: Int) throws -> [(source: SourceRecord, cursor: String)] {
        try pool.transaction { tx in
            try access.authorize(tx, project: project, principal: p, action: .read)
            return try tx.query(SourceRepository.page(project: project, after: after, limit: limit)).map { (try SourceRecord.decode($0), try $0.decode("cursor_text")) }
        }
    }

    func update(_ p: Principal, project: UUID, id: UUID, name: String?, kind: String?, settings: (SourceSettings) throws -> SourceSettings?,
                audit: AuditEntry) throws -> SourceRecord {
        do {
            return try pool.transaction { tx in
                try access.authorize(tx, project: project, principal: p, action: .write)
                let before = try Self.load(tx, project: project, id: id, lock: true)
                let current = try Self.settings(before)
                let changed = try settings(current)
                try tx.query(SourceRepository.update(id, name: name, kind: kind, settings: try changed.map(Self.text)))
                let after = try Self.load(tx, project: project, id: id)
                var entry = audit
                entry.oldValues = before.settings
                entry.newValues = after.settings
                try AuditTrail.record(tx, entry)
                return after
            }
        } catch let e as PostgresError where e.sqlState == "23505" {
            throw AppError(.conflict, "The project already has a data source with this name")
        }
    }

    /// Soft-deletes the source and retires its records (matches of earlier jobs keep them).
    func delete(_ p: Principal, project: UUID, id: UUID, audit: AuditEntry) throws {
        try pool.transaction { tx in
            try access.authorize(tx, project: project, principal: p, action: .write)
            _ = try Self.load(tx, project: project, id: id, lock: true)
            try tx.query(SourceRepository.softDelete(id))
            try tx.query(UploadRepository.retireSourceRecords(source: id))
            try AuditTrail.record(tx, audit)
        }
    }

    static func settings(_ s: SourceRecord) throws -> SourceSettings {
        do { return try JSONDecoder().decode(SourceSettings.self, from: Data(s.settings.utf8)) } catch {
            throw AppError(.internalError, "The stored settings of source \(s.id) cannot be read")
        }
    }

    static func text(_ s: SourceSettings) throws -> String {
        String(decoding: try JSONEncoder.sorted.encode(s), as: UTF8.self)
    }
}
