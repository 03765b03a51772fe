import FoundationEssentials
import HTTPServer
import Postgres

/// One audited change: who, what, on which resource, from where, before and after (secrets
/// never included). Written in the transaction of the change it records, so a rolled-back
/// change leaves no audit row.
public struct AuditEntry: Sendable {
    public var userID: UUID?
    public var action: String
    public var resourceType: String
    public var resourceID: String?
    public var requestID: String?
    public var ip: String?
    public var userAgent: String?
    public var oldValues: String?
    public var newValues: String?

    public init(userID: UUID?, action: String, resourceType: String, resourceID: String?, requestID: String? = nil, ip: String? = nil,
                userAgent: String? = nil, oldValues: String? = nil, newValues: String? = nil) {
        self.userID = userID
        self.action = action
        self.resourceType = resourceType
        self.resourceID = resourceID
        self.requestID = requestID
        self.ip = ip
        self.userAgent = userAgent
        self.oldValues = oldValues
        self.newValues = newValues
    }
}

/// The append-only audit_logs table, for every feature.
public enum AuditTrail: StatementCatalog {
    static func insert(_ e: AuditEntry) -> PostgresQuery {
        """
        INSERT INTO audit_logs (user_id, action, resource_type, resource_id, request_id, ip, user_agent, old_values, new_values)
        VALUES (\(e.userID), \(e.action), \(e.resourceType), \(e.resourceID), \(e.requestID), \(e.ip)::inet, \(e.userAgent),
                \(e.oldValues)::jsonb, \(e.newValues)::jsonb)
        """
    }

    public static func record(_ tx: Transaction, _ e: AuditEntry) throws {
        try tx.query(insert(e))
    }

    public static var statements: [PostgresQuery] {
        [insert(AuditEntry(userID: UUID(), action: "a", resourceType: "r", resourceID: nil, ip: "127.0.0.1"))]
    }
}

extension RequestContext {
    /// An audit entry for a change this request makes, with its id, client address and caller.
    public func auditEntry(_ request: Request, action: String, resourceType: String, resourceID: String?,
                           old: String? = nil, new: String? = nil) -> AuditEntry {
        AuditEntry(userID: principal.flatMap { UUID(uuidString: $0.id) }, action: action, resourceType: resourceType, resourceID: resourceID,
                   requestID: requestID, ip: clientAddress, userAgent: request.headers["User-Agent"].map { String($0.prefix(1024)) },
                   oldValues: old, newValues: new)
    }
}
