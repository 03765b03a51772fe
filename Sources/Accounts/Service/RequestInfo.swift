import Foundation
import HTTPServer
import Platform

/// Where a change came from, for its audit row.
struct RequestInfo: Sendable {
    var requestID: String?
    var ip: String?
    var userAgent: String?

    init(requestID: String?, ip: String?, userAgent: String?) {
        self.requestID = requestID
        self.ip = ip
        self.userAgent = userAgent.map { String($0.prefix(1024)) }
    }

    init(_ request: Request, _ context: RequestContext) {
        self.init(requestID: context.requestID, ip: context.clientAddress, userAgent: request.headers["User-Agent"])
    }

    static let commandLine = RequestInfo(requestID: nil, ip: nil, userAgent: "apiserver cli")

    func audit(_ user: UUID?, _ action: String, _ type: String, _ id: String?, old: String? = nil, new: String? = nil) -> AuditEntry {
        AuditEntry(userID: user, action: action, resourceType: type, resourceID: id, requestID: requestID, ip: ip, userAgent: userAgent,
                   oldValues: old, newValues: new)
    }
}
