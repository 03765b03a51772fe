import Testing
@testable import Postgres
import Foundation

@Suite struct ListenerTests {
    final class Inbox: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [(String, String)] = []
        func add(_ c: String, _ p: String) { lock.lock(); items.append((c, p)); lock.unlock() }
        var all: [(String, String)] { lock.lock(); defer { lock.unlock() }; return items }

        func wait(for count: Int, seconds: Double = 5) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while all.count < count && Date() < deadline { usleep(20_000) }
            return all.count >= count
        }
    }

    @Test func deliversNotificationsAndSurvivesATerminatedSession() throws {
        let config = try TestDatabase.configuration()
        let channel = "jobs_" + UUID().uuidString.prefix(8).lowercased().replacingOccurrences(of: "-", with: "")
        let inbox = Inbox()
        let listener = try PostgresListener(configuration: config, channels: [channel]) { inbox.add($0, $1) }
        listener.start()
        defer { listener.stop() }
        let deadline = Date().addingTimeInterval(5)
        while !listener.isListening && Date() < deadline { usleep(20_000) }
        #expect(listener.isListening)

        let pool = ConnectionPool(configuration: config)
        try pool.withConnection { try PostgresListener.notify(channel, payload: "job 1 done", on: $0) }
        // Inside a rolled-back transaction nothing is delivered.
        struct Abort: Error {}
        _ = try? pool.transaction { tx in
            try PostgresListener.notify(channel, payload: "never", on: tx.connection)
            throw Abort()
        }
        #expect(inbox.wait(for: 1))
        #expect(inbox.all.first.map { $0.0 == channel && $0.1 == "job 1 done" } == true)

        let oldPID = listener.backendPID
        try pool.withConnection { try $0.query("SELECT pg_terminate_backend(\(oldPID))") }
        let reconnectDeadline = Date().addingTimeInterval(5)
        while (listener.backendPID == oldPID || !listener.isListening) && Date() < reconnectDeadline { usleep(20_000) }
        #expect(listener.backendPID != oldPID, "reconnected with a new session")
        try pool.withConnection { try PostgresListener.notify(channel, payload: "job 2 done", on: $0) }
        #expect(inbox.wait(for: 2))
        #expect(inbox.all.map(\.1) == ["job 1 done", "job 2 done"])
    }

    @Test func channelNamesAreIdentifiers() {
        #expect(throws: PostgresError.self) { try PostgresListener(configuration: PostgresConfiguration(url: "x"), channels: ["bad; DROP"]) { _, _ in } }
        #expect(PostgresListener.isValidChannel("price_updates_2"))
        #expect(!PostgresListener.isValidChannel("Upper"))
    }
}
