import Glibc
import Synchronization
import SystemSupport

/// Server-Sent Events (text/event-stream) to many subscribers, on top of `ResponseStream`.
/// A subscriber costs a stream buffer and a connection, never a thread: events are offered
/// to each subscriber's stream without blocking, and the event loops send them. A subscriber
/// whose buffer is full (it does not read) is dropped rather than slowing the others; a
/// subscriber that disconnects is removed by its stream's cancellation. One thread sends a
/// comment line as heartbeat, so proxies and clients can tell a quiet stream from a dead one.
public final class EventHub: Sendable {
    public let heartbeatSeconds: Int
    public let subscriberBufferBytes: Int
    private let subscribers = Mutex<[UInt64: ResponseStream]>([:])
    /// Per subscriber, whether it may still listen (its login still stands), asked at every
    /// heartbeat; one that may not has its stream ended.
    private let validity = Mutex<[UInt64: @Sendable () -> Bool]>([:])
    private let nextID = Atomic<UInt64>(1)
    private let heartbeatStarted = Atomic<Bool>(false)
    /// Subscribers dropped because they fell behind.
    public let dropped = Atomic<Int>(0)

    public init(heartbeatSeconds: Int = 15, subscriberBufferBytes: Int = 64 * 1024) {
        self.heartbeatSeconds = heartbeatSeconds
        self.subscriberBufferBytes = subscriberBufferBytes
    }

    public var subscriberCount: Int { subscribers.withLock { $0.count } }

    /// A response that subscribes the client until it disconnects. Serve it from an inline
    /// route with no deadline (`timeoutMs: 0`).
    /// `stillValid` is asked at every heartbeat (on the heartbeat's thread, so it may block
    /// briefly): once false, the stream ends and the client must subscribe again, authenticated.
    public func subscribe(stillValid: (@Sendable () -> Bool)? = nil) -> Response {
        startHeartbeat()
        let stream = ResponseStream(capacity: subscriberBufferBytes)
        let id = nextID.add(1, ordering: .relaxed).oldValue
        subscribers.withLock { $0[id] = stream }
        if let stillValid { validity.withLock { $0[id] = stillValid } }
        stream.onCancel { [weak self] in self?.remove(id) }
        // Tells the client how long to wait before reconnecting, and flushes the head at once.
        stream.offer(Array("retry: 3000\n\n".utf8))
        var response = Response(status: .ok, contentType: "text/event-stream", stream: stream)
        response.headers.set("Cache-Control", "no-cache")
        response.headers.set("X-Accel-Buffering", "no")
        return response
    }

    /// Sends one event to every subscriber; returns how many took it.
    @discardableResult
    public func publish(event: String, data: String, id: String? = nil) -> Int {
        send(Self.frame(event: event, data: data, id: id))
    }

    /// One event in the text/event-stream format: each line of `data` its own data field.
    public static func frame(event: String, data: String, id: String? = nil) -> [UInt8] {
        var out = ""
        if let id { out += "id: \(Self.oneLine(id))\n" }
        out += "event: \(Self.oneLine(event))\n"
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            out += "data: \(line.replacingCRs())\n"
        }
        out += "\n"
        return Array(out.utf8)
    }

    private static func oneLine(_ s: String) -> String { String(s.filter { $0 != "\n" && $0 != "\r" }) }

    private func send(_ bytes: [UInt8]) -> Int {
        let all = subscribers.withLock { Array($0) }
        var delivered = 0
        for (id, stream) in all {
            if stream.offer(bytes) {
                delivered += 1
            } else {
                // Full (a reader that does not read) or already gone.
                remove(id)
                dropped.add(1, ordering: .relaxed)
                stream.fail()
            }
        }
        return delivered
    }

    private func remove(_ id: UInt64) {
        _ = subscribers.withLock { $0.removeValue(forKey: id) }
        _ = validity.withLock { $0.removeValue(forKey: id) }
    }

    /// Ends the streams of subscribers that may no longer listen.
    private func endRevoked() {
        let checks = validity.withLock { Array($0) }
        for (id, stillValid) in checks where !stillValid() {
            let stream = subscribers.withLock { $0[id] }
            remove(id)
            stream?.finish()
        }
    }

    private func startHeartbeat() {
        guard !heartbeatStarted.load(ordering: .relaxed),
              heartbeatStarted.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        let interval = UInt32(max(1, heartbeatSeconds))
        // The hub lives as long as the server; the thread holds it weakly and ends with it.
        try? OSThread.spawn(name: "sse-heartbeat") { [weak self] in
            let beat = Array(":\n\n".utf8)
            while true {
                sleep(interval)
                guard let hub = self else { return }
                hub.endRevoked()
                _ = hub.send(beat)
            }
        }.detach()
    }
}

extension Substring {
    fileprivate func replacingCRs() -> String { String(filter { $0 != "\r" }) }
}
