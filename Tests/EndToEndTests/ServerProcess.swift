import Foundation
import Testing

/// The real `apiserver` binary, started on a free port with the given environment, stopped with
/// SIGTERM. Its stdout (JSON logs) is captured so tests can read the chosen port and log lines.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    private(set) var port = 0
    private let output = Pipe()
    private let lock = NSLock()
    private var captured = Data()

    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    static var binaryPath: String {
        ProcessInfo.processInfo.environment["APISERVER_BIN"] ?? repositoryRoot + "/.build/debug/apiserver"
    }

    init(_ env: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: Self.binaryPath)
        process.arguments = ["serve"]
        let inherited = ProcessInfo.processInfo.environment
        var environment = ["PATH": "/usr/bin:/bin", "PORT": "0", "APP_ENV": "test", "ENABLE_TEST_ROUTES": "true", "APISERVER_IGNORE_ENV_FILES": "1",
                           "HTTP_THREADS": "2", "LOG_LEVEL": "info", "MIGRATIONS_DIR": Self.repositoryRoot + "/migrations",
                           // Market data only where a test asks for it; exports out of the checkout.
                           "REFRESH_ON_START": "false", "BACKUP_DIR": NSTemporaryDirectory() + "apiserver-test-backups"]
        if let url = inherited["DATABASE_URL"] { environment["DATABASE_URL"] = url }
        environment.merge(env) { _, new in new }
        process.environment = environment
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self, !d.isEmpty else { return }
            self.lock.lock()
            self.captured.append(d)
            self.lock.unlock()
        }
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        var found: Int? = nil
        while found == nil && Date() < deadline && process.isRunning {
            found = Self.listeningPort(in: log)
            if found == nil { usleep(20_000) }
        }
        guard let port = found else {
            process.terminate()
            throw E2EError("server did not start: \(log)")
        }
        self.port = port
    }

    var log: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: captured, as: UTF8.self)
    }

    static func listeningPort(in log: String) -> Int? {
        for line in log.split(separator: "\n") where line.contains("\"msg\":\"listening\"") {
            guard let r = line.range(of: "\"port\":") else { continue }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        }
        return nil
    }

    /// Sends SIGTERM and waits for exit; returns the exit status.
    @discardableResult
    func stop(timeout: TimeInterval = 15) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

struct E2EError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
