/// Every timeout of a connection, derived from its state and clocks: one deadline at a time,
/// the earliest that applies, and `expire` to act on it.
///
/// | state                                  | deadline                        | when it passes          |
/// |----------------------------------------|---------------------------------|-------------------------|
/// | output pending                         | last write progress + write     | close (reader too slow) |
/// | new connection, nothing sent yet       | accepted + header timeout       | close silently          |
/// | head partly received                   | head clock + header timeout     | 408                     |
/// | body arriving                          | last progress + body idle, or   | 408                     |
/// |                                        | end of the rate window          | 408 if under the rate   |
/// | idle between keep-alive requests       | idle since + keep-alive         | close silently          |
/// | request with its handler               | dispatch + request timeout      | 504, handler cancelled  |
/// | lingering after the last response      | linger end                      | close                   |
extension HTTP1Connection {
    /// The earliest deadline that applies now, or nil when none does.
    var deadline: Int64? {
        var earliest: Int64?
        func consider(_ d: Int64) { earliest = min(earliest ?? d, d) }
        if !output.isEmpty { consider(writeDeadline) }
        switch phase {
        case .lingering(let until):
            consider(until)
        case .handling(let d):
            if d > 0 { consider(d) }
            if hasIncomingBody && !isStreamingBodyPaused, let b = bodyDeadline { consider(b) }
        case .reading where output.count < limits.outputHighWaterBytes:
            if let d = readingDeadline { consider(d) }
        default:
            break
        }
        return earliest
    }

    private var writeDeadline: Int64 { lastWriteProgressMs + Int64(limits.writeTimeoutMs) }

    private var bodyDeadline: Int64? {
        guard let b = bodyClock else { return nil }
        var d = b.lastProgress + Int64(limits.bodyIdleTimeoutMs)
        if limits.minBodyBytesPerSecond > 0 { d = min(d, b.windowStart + Int64(limits.bodyRateWindowMs)) }
        return d
    }

    private var readingDeadline: Int64? {
        if let d = bodyDeadline { return d }
        if let h = headClockMs { return h + Int64(limits.headerTimeoutMs) }
        if servedRequests == 0 { return acceptedAt + Int64(limits.headerTimeoutMs) }
        if output.isEmpty { return idleSinceMs + Int64(limits.keepAliveTimeoutMs) }
        return nil
    }

    /// Acts on whatever deadline has passed at `now`; the next `next()` carries it out.
    mutating func expire(now: Int64) {
        if case .lingering(let until) = phase, now >= until {
            close()
            return
        }
        if !output.isEmpty && now >= writeDeadline {
            close()
            return
        }
        switch phase {
        case .handling(let d):
            if d > 0 && now >= d {
                markDeadlineExceeded()
            } else if hasIncomingBody && !isStreamingBodyPaused && bodyTooSlow(now: now) {
                // The handler is running and owns the answer: it learns from its read.
                failIncomingBody(.malformed(.requestTimeout))
            }
        case .reading where output.count < limits.outputHighWaterBytes:
            expireReading(now: now)
        default:
            break
        }
    }

    /// Whether the body arriving has stalled or fallen under the minimum rate at `now`; a
    /// rate window that ended fast enough starts the next one.
    private mutating func bodyTooSlow(now: Int64) -> Bool {
        guard var b = bodyClock else { return false }
        if now >= b.lastProgress + Int64(limits.bodyIdleTimeoutMs) { return true }
        if limits.minBodyBytesPerSecond > 0 && now >= b.windowStart + Int64(limits.bodyRateWindowMs) {
            if b.windowBytes < limits.minBodyBytesPerSecond * limits.bodyRateWindowMs / 1000 { return true }
            b.windowStart = now
            b.windowBytes = 0
            bodyClock = b
        }
        return false
    }

    private mutating func expireReading(now: Int64) {
        if bodyClock != nil {
            if bodyTooSlow(now: now) { timeOutRequest() }
            return
        }
        if let h = headClockMs {
            if now >= h + Int64(limits.headerTimeoutMs) { timeOutRequest() }
            return
        }
        let idleDeadline = servedRequests == 0 ? acceptedAt + Int64(limits.headerTimeoutMs)
                                               : idleSinceMs + Int64(limits.keepAliveTimeoutMs)
        if output.isEmpty && now >= idleDeadline { close() }
    }
}
