import ArgumentParser
import Logging
import Platform
import Postgres

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending migrations from MIGRATIONS_DIR, each in its own transaction, under an advisory lock.",
        discussion: "Refuses to run when an applied migration was edited or removed. Safe to run from several "
            + "processes at once: each migration is applied exactly once.")

    @Flag(help: "List applied and pending migrations; change nothing.")
    var status = false

    @Option(name: .customLong("database-url"), help: "Overrides DATABASE_URL.")
    var databaseURL: String?

    func run() throws {
        let environment = Bootstrap.environment(overrides: [("DATABASE_URL", databaseURL)])
        let config = try Bootstrap.configuration(environment)
        let logger = Bootstrap.logging(config)
        defer { LogSink.standardOutput.flush() }
        let database = try Bootstrap.services(config, environment, logger).database
        defer { database.shutdown() }
        do {
            if status {
                let states = try database.migrator().status()
                for s in states {
                    print("\(s.version)\t\(s.name)\t\(s.state.rawValue)\t\(s.appliedAt ?? "-")")
                }
                if states.contains(where: { $0.state == .edited || $0.state == .missingFile }) { throw ExitCode(2) }
                return
            }
            let applied = try database.migrate(logger: logger)
            logger.info("migrations current", metadata: ["applied_now": "\(applied.count)", "total": "\(database.migrations.count)"])
        } catch let e as PostgresError {
            logger.error("migration failed", metadata: ["error": .string(e.debugDescription)])
            LogSink.standardOutput.flush()
            Bootstrap.writeStderr("apiserver migrate: \(e.message)\n")
            throw ExitCode(1)
        }
    }
}
