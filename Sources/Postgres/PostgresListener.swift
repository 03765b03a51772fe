import SystemSupport
import CLibPQ
import Glibc
import Synchronization

/// LISTEN on a dedicated connection (never a pooled one: a listening session must stay open
/// and idle). A background thread waits on the socket and delivers each notification; when the
/// connection drops it reconnects with backoff and listens again. Notifications sent while it
/// was disconnected are lost, as PostgreSQL does not queue them for absent listeners, so
/// callers treat a notification as a hint to look, never as the data itself.
public final class PostgresListener: Sendable {
    public typealias Handler = @Sendable (_ channel: String, _ payload: String) -> Void

    private let configuration: PostgresConfiguration
    private let channels: [String]
    private let handler: Handler
    private let onState: @Sendable (String) -> Void
    private let running = Atomic<Bool>(false)
    private let connected = Atomic<Bool>(false)
    /// Backend pid of the listening session (tests and logs).
    private let pid = Atomic<Int>(0)

    /// Channel names are identifiers: lower-case letters, digits and underscores.
    public init(configuration: PostgresConfiguration, channels: [String], onStateChange: @escaping @Sendable (String) -> Void = { _ in },
                handler: @escaping Handler) throws {
        for c in channels where !Self.isValidChannel(c) {
            throw PostgresError(.usage, "invalid channel name \(c)")
        }
        self.configuration = configuration
        self.channels = channels
        self.handler = handler
        self.onState = onStateChange
    }

    static func isValidChannel(_ c: String) -> Bool {
        guard let first = c.utf8.first, (1...63).contains(c.utf8.count), first >= 97 && first <= 122 || first == 95 else { return false }
        return c.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }

    public var isListening: Bool { connected.load(ordering: .acquiring) }
    public var backendPID: Int { pid.load(ordering: .acquiring) }

    public func start() {
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        do {
            try OSThread.spawn(name: "pg-listener") { self.loop() }.detach()
        } catch {
            running.store(false, ordering: .releasing)
            onState("thread start failed")
        }
    }

    /// Stops within about a quarter of a second.
    public func stop() { running.store(false, ordering: .releasing) }

    /// Sends a notification (through any connection, e.g. inside a transaction so it is
    /// delivered only if the transaction commits).
    public static func notify(_ channel: String, payload: String, on connection: PostgresConnection) throws {
        try connection.query("SELECT pg_notify(\(channel), \(payload))")
    }

    private func loop() {
        var backoffMs: UInt32 = 250
        while running.load(ordering: .acquiring) {
            do {
                let c = try PostgresConnection.connect(configuration)
                for channel in channels { try c.execute(unsafeSQL: "LISTEN \(channel)") }
                pid.store(Int(c.backendPID), ordering: .releasing)
                connected.store(true, ordering: .releasing)
                onState("listening")
                backoffMs = 250
                listen(on: c)
                connected.store(false, ordering: .releasing)
                if running.load(ordering: .acquiring) { onState("disconnected") }
            } catch {
                connected.store(false, ordering: .releasing)
                onState("connect failed")
                usleep(backoffMs * 1000)
                backoffMs = min(backoffMs * 2, 30_000)
            }
        }
    }

    /// Delivers notifications until the connection fails or `stop()` is called.
    private func listen(on c: PostgresConnection) {
        while running.load(ordering: .acquiring) {
            var pfd = pollfd(fd: PQsocket(c.handle), events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 250)
            if ready < 0 && errno != EINTR { return }
            if ready > 0 {
                if PQconsumeInput(c.handle) == 0 { return }
                while let n = PQnotifies(c.handle) {
                    let channel = String(cString: n.pointee.relname)
                    let payload = String(cString: n.pointee.extra)
                    PQfreemem(n)
                    handler(channel, payload)
                }
            }
            if c.isBroken { return }
        }
    }
}
