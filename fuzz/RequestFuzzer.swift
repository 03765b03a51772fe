// libFuzzer entry point for the request parser and body decoders (built by scripts/fuzz with
// AddressSanitizer, so any over-read of the buffer crashes). The input is split in two at a
// position taken from its first byte, to exercise resumption as well as whole-buffer parsing.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let split = Int(bytes[0]) % max(1, bytes.count)
    let input = Array(bytes.dropFirst())
    var limits = HTTPLimits()
    limits.maxBodyBytes = 1 << 16
    let whole = run([input], limits)
    let pieces = run([Array(input.prefix(split)), Array(input.dropFirst(split))], limits)
    // However the bytes arrive, the outcome must be the same.
    if whole != pieces { fatalError("split changed the outcome: \(whole) vs \(pieces)") }
    return 0
}

private func run(_ chunks: [[UInt8]], _ limits: HTTPLimits) -> [String] {
    var assembler = RequestAssembler(limits: limits)
    var buffer: [UInt8] = []
    var outcomes: [String] = []
    outer: for chunk in chunks {
        buffer.append(contentsOf: chunk)
        while !buffer.isEmpty {
            let step = buffer.withUnsafeBufferPointer { p in
                assembler.feed(p, start: 0, end: p.count) { _ in RoutePlan(runsInline: false) }
            }
            switch step {
            case .needMore(let consumed, _):
                buffer.removeFirst(consumed)
                continue outer
            case .request(let head, let body, _, let consumed):
                buffer.removeFirst(consumed)
                outcomes.append("\(head.method) \(head.path) \(body.count)")
            case .failed(let e, _):
                outcomes.append("error \(e.status.code)")
                break outer
            }
        }
    }
    return outcomes
}
