import ArgumentParser
import Glibc
import Logging
import Platform

/// What every subcommand does first: configuration from the environment (with command-line
/// overrides), validated as a whole, then logging.
enum Bootstrap {
    static func configuration(overrides: [(String, String?)]) throws -> AppConfig {
        var values = Environment.process().values
        for (name, value) in overrides { if let value { values[name] = value } }
        do {
            return try AppConfig.load(from: Environment(values))
        } catch let error as ConfigError {
            writeStderr("apiserver: \(error)\n")
            throw ExitCode(78) // EX_CONFIG
        }
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
