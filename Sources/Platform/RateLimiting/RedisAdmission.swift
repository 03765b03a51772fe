import HTTPServer
import SystemSupport

/// The shared rate limiter asked from the event loops: each loop pipelines the checks of its
/// requests on its own Redis connection (no worker hand-off, no blocking), and the decision
/// travels on the request to the rate-limit middleware. A check Redis does not answer in time
/// is decided by this instance's memory, as with the blocking client.
struct RedisAdmission: AdmissionService {
    let endpoint: RedisEndpoint
    let timeoutMs: Int
    var host: String { endpoint.host }
    var port: Int { endpoint.port }

    var handshake: [UInt8] {
        (endpoint.setupCommands + [["SCRIPT", "LOAD", RedisRateLimiter.script]]).flatMap(RESP.command)
    }

    var handshakeReplies: Int { endpoint.setupCommands.count + 1 }

    func replyLength(_ buffer: [UInt8], from start: Int) throws -> Int? {
        switch RESP.parse(buffer, from: start) {
        case .value(_, let consumed): return consumed
        case .incomplete: return nil
        case .invalid: throw RedisConnection.Failure(description: "malformed reply")
        }
    }
}

extension Application {
    /// The admission check of a rate-limited request: the GCRA script for its bucket.
    func redisCheck(for request: Request) -> AdmissionCheck? {
        guard let redis = remoteLimiter, let policy = config.rateLimit.policy(forPath: request.path) else { return nil }
        let key = policy.name + "|" + identity.rateLimitKey(for: request)
        return AdmissionCheck(command: RESP.command(redis.evalArguments(key: key, policy: policy))) { request, reply in
            var decided = request
            decided.admission = redis.decision(fromReply: reply, key: key, policy: policy)
            return decided
        }
    }
}
