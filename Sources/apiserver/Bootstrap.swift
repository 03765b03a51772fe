import ArgumentParser
import Glibc
import Logging
import Platform
import Postgres
import SystemSupport

/// What every subcommand does first: configuration from the environment (with command-line
/// overrides), validated as a whole, then logging.
enum Bootstrap {
    /// Files read beside the environment, weakest last: the user's `.env`, then the settings
    /// scripts/run writes for the embedded default (`.data/dev.env`: its database, development
    /// keys, backup directory). A command run in the checkout thus uses what the server
    /// started there uses. The process environment wins over both; APISERVER_IGNORE_ENV_FILES=1
    /// (the tests) reads neither.
    static let envFiles = [".env", ".data/dev.env"]

    /// The process environment over the env files, with command-line overrides applied.
    static func environment(overrides: [(String, String?)] = []) -> Environment {
        let process = Environment.process().values
        var values: [String: String] = [:]
        if process["APISERVER_IGNORE_ENV_FILES"] != "1" {
            for path in envFiles.reversed() {
                guard let bytes = Files.read(path, maxBytes: 1 << 20) else { continue }
                do {
                    values.merge(try EnvFile.parse(String(decoding: bytes, as: UTF8.self), path: path)) { _, new in new }
                } catch {
                    writeStderr("apiserver: \(error)\n")
                    exit(78)
                }
            }
        }
        values.merge(process) { _, fromProcess in fromProcess }
        for (name, value) in overrides { if let value { values[name] = value } }
        return Environment(values)
    }

    static func configuration(overrides: [(String, String?)]) throws -> AppConfig {
        try configuration(environment(overrides: overrides))
    }

    static func configuration(_ environment: Environment) throws -> AppConfig {
        try exitingOnConfigError { try AppConfig.load(from: environment) }
    }

    /// Runs `body`; a configuration error is printed and exits with 78 (EX_CONFIG).
    static func exitingOnConfigError<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ConfigError {
            writeStderr("apiserver: \(error)\n")
            throw ExitCode(78)
        }
    }

    /// The shared services every subcommand builds from (the composition root's first step).
    static func services(_ config: AppConfig, _ environment: Environment, _ logger: Logger) throws -> AppServices {
        do {
            return try AppServices(config: config, environment: environment, logger: logger)
        } catch let e as PostgresError {
            logger.critical("cannot load migrations", metadata: ["error": .string(e.message)])
            LogSink.standardOutput.flush()
            throw ExitCode(1)
        }
    }

    /// For commands whose output is their stdout: only critical lines.
    static func quietLogger() -> Logger {
        var logger = Logger(label: "apiserver")
        logger.logLevel = .critical
        return logger
    }

    static func logging(_ config: AppConfig) -> Logger {
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: config.logLevel, json: config.logJSON) }
        return Logger(label: "apiserver")
    }

    static func writeStderr(_ s: String) {
        var bytes = Array(s.utf8)
        _ = Glibc.write(2, &bytes, bytes.count)
    }
}
