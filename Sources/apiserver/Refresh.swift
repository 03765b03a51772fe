import AppAssembly
import ArgumentParser
import Backups
import Foundation
import Markets
import Platform

struct Refresh: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Refresh market data and recompute the index now (the same run as POST /admin/refresh), then print its stats.",
        discussion: "Waits for a refresh another instance is running to be reported as busy (exit 75). Exit 1 when the run failed; nothing is changed then.")

    @Option(help: "incremental (default) or full.")
    var mode: String = "incremental"

    func run() throws {
        guard let mode = RefreshMode(rawValue: mode) else { throw ValidationError("--mode must be incremental or full") }
        let environment = Bootstrap.environment()
        let config = try Bootstrap.configuration(environment)
        let logger = Bootstrap.logging(config)
        defer { LogSink.standardOutput.flush() }
        let services = try Bootstrap.services(config, environment, logger)
        defer { services.database.shutdown() }
        if config.migrateOnStart { try services.database.migrate(logger: logger) }
        _ = try Bootstrap.exitingOnConfigError { try AppAssembly.build(services) }
        switch try services.jobs.startRun(MarketsFeature.refreshJob, payload: #"{"mode":"\#(mode.rawValue)"}"#, trigger: "manual") {
        case .busy(let id):
            Bootstrap.writeStderr("a refresh is already running\(id.map { " (run \($0))" } ?? "")\n")
            throw ExitCode(75)
        case .started(let id):
            guard let record = try services.jobs.waitForFinish(id, timeoutMs: 3_600_000) else { throw ExitCode(1) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            LogSink.standardOutput.flush()
            print(String(decoding: try encoder.encode(record), as: UTF8.self))
            if record.status != "succeeded" { throw ExitCode(1) }
        }
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a backup (a file or s3://bucket/key) into a database, or put a refresh export back.",
        discussion: """
            A backup is verified completely first, then loaded in one transaction. The target must be empty (rows that \
            migrations create do not count) unless --replace, and at the backup's schema version; an empty database gets \
            the backup's schema first, and --migrate brings it up to this binary's version afterwards. A refresh export \
            (BACKUP_DIR/refresh-*.tsv.gz with its manifest) puts back the rows a refresh could change; it first prints, per table, the \
            rows now and the rows in the export, and refuses without --replace when it would remove or overwrite rows.
            """)

    @Argument(help: "The backup or export file.")
    var file: String

    @Option(help: "The database to restore into (default DATABASE_URL).")
    var into: String?

    @Flag(help: "Overwrite a database that has data (a backup), or rows a refresh export would remove or replace.")
    var replace = false

    @Flag(help: "Migrate to this binary's schema version after restoring an older backup.")
    var migrate = false

    func run() throws {
        let environment = Bootstrap.environment(overrides: [("DATABASE_URL", into)])
        let config = try Bootstrap.configuration(environment)
        let services = try Bootstrap.services(config, environment, Bootstrap.quietLogger())
        defer { services.database.shutdown() }
        if BackupService.isBackup(file) {
            let (service, pool) = try Bootstrap.exitingOnConfigError { try BackupsFeature.service(services) }
            do {
                let r = try service.restoreNow(file, pool: pool, migrations: services.database.migrations, replace: replace,
                                               migrate: migrate) { print($0) }
                print("restored \(file): \(r.tables) tables, \(r.rows) rows" + (r.migratedTo.map { ", migrated to version \($0)" } ?? ""))
            } catch {
                Bootstrap.writeStderr("restore refused: \(error)\n")
                throw ExitCode(1)
            }
            return
        }
        let manifest: RefreshExport.Manifest
        do {
            print(try RefreshExport.plan(path: file, pool: services.database.pool), terminator: "")
            manifest = try RefreshExport.restore(path: file, pool: services.database.pool, replace: replace)
        } catch {
            Bootstrap.writeStderr("restore refused: \(error)\n")
            throw ExitCode(1)
        }
        print("restored \(file): " + manifest.tables.map { "\($0.name) \($0.rows) rows" }.joined(separator: ", ")
              + (manifest.pricesFrom.map { " (prices from \($0))" } ?? " (all prices)"))
    }
}
