@testable import HTTPServer

/// What a connection would observe while feeding bytes through the assembler.
enum Observed: Equatable {
    case request(method: HTTPMethod, path: String, body: [UInt8], keepAlive: Bool)
    case failed(HTTPParseError)
    case sentContinue
}

/// Feeds `chunks` one after another, keeping a buffer as a connection does (consumed bytes are
/// dropped, the rest waits for the next chunk), and records everything that happens.
func assemble(_ chunks: [[UInt8]], limits: HTTPLimits = HTTPLimits(),
              plan: RoutePlan = RoutePlan(runsInline: false)) -> (events: [Observed], leftover: Int) {
    var assembler = RequestAssembler(limits: limits)
    var buffer: [UInt8] = []
    var events: [Observed] = []
    outer: for chunk in chunks {
        buffer.append(contentsOf: chunk)
        while !buffer.isEmpty {
            let step = buffer.withUnsafeBufferPointer { p in assembler.feed(p, start: 0, end: p.count) { _ in plan } }
            switch step {
            case .needMore(let consumed, let sendContinue):
                buffer.removeFirst(consumed)
                if sendContinue { events.append(.sentContinue) }
                continue outer
            case .request(let head, let body, _, let consumed):
                buffer.removeFirst(consumed)
                let req = Request(method: head.method, version: head.version, headers: head.headers, path: head.path,
                                  query: head.query, keepAlive: head.keepAlive, body: body, remoteAddress: "test")
                events.append(.request(method: head.method, path: req.path, body: body, keepAlive: head.keepAlive))
            case .failed(let e, _):
                events.append(.failed(e))
                break outer
            }
        }
    }
    return (events, buffer.count)
}

func assemble(_ text: String, limits: HTTPLimits = HTTPLimits()) -> [Observed] {
    assemble([Array(text.utf8)], limits: limits).events
}

/// Parses one complete head and returns it, or the error.
func parseHead(_ text: String, limits: HTTPLimits = HTTPLimits()) -> Result<ParsedHead, HTTPParseError>? {
    var parser = RequestHeadParser(limits: limits)
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBufferPointer { p in
        switch parser.parse(p, start: 0, end: p.count) {
        case .complete(let head, _): return .success(head)
        case .invalid(let e): return .failure(e)
        case .incomplete: return nil
        }
    }
}
