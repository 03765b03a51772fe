import AppAssembly
import ArgumentParser
import Backups
import Foundation
import Platform
import Postgres

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take, list, verify and prune encrypted backups (BACKUP_* variables).",
        subcommands: [Run.self, List.self, Verify.self, Prune.self], defaultSubcommand: Run.self)

    static func open() throws -> (BackupService, AppServices, ConnectionPool) {
        let environment = Bootstrap.environment()
        let config = try Bootstrap.configuration(environment)
        let services = try Bootstrap.services(config, environment, Bootstrap.quietLogger())
        let (service, pool) = try Bootstrap.exitingOnConfigError { try BackupsFeature.service(services) }
        return (service, services, pool)
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run", abstract: "Take a backup now (then apply retention) and print its job run with stats.",
            discussion: "The same run as the schedule's, under the same lock: exit 75 while another instance backs up, 1 when it fails.")
        func run() throws {
            let environment = Bootstrap.environment()
            let config = try Bootstrap.configuration(environment)
            let services = try Bootstrap.services(config, environment, Bootstrap.quietLogger())
            defer { services.database.shutdown() }
            if config.migrateOnStart { try services.database.migrate(logger: Bootstrap.quietLogger()) }
            _ = try Bootstrap.exitingOnConfigError { try AppAssembly.build(services) }
            switch try services.jobs.startRun(BackupsFeature.job, payload: #"{"trigger":"manual"}"#, trigger: "manual") {
            case .busy(let id):
                Bootstrap.writeStderr("a backup is already running\(id.map { " (run \($0))" } ?? "")\n")
                throw ExitCode(75)
            case .started(let id):
                guard let record = try services.jobs.waitForFinish(id, timeoutMs: 24 * 3_600_000) else { throw ExitCode(1) }
                let e = JSONEncoder()
                e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try e.encode(record), as: UTF8.self))
                if record.status != "succeeded" {
                    Bootstrap.writeStderr("backup \(record.status): \(record.error ?? "")\n")
                    throw ExitCode(1)
                }
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List backups, newest first.")
        func run() throws {
            let (service, services, pool) = try Backup.open()
            defer { services.database.shutdown() }
            // Read first: a failure prints no header without rows.
            let records = try service.records(pool: pool)
            print("id\tstatus\tstarted\tbytes\tlocation")
            for r in records {
                print("\(r.id)\t\(r.status)\t\(r.startedAt)\t\(r.size.map(String.init) ?? "-")\t\(r.location ?? "-")")
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check every chunk's tag and every table's checksum of a backup, without a database.")
        @Argument(help: "A backup file, or s3://bucket/key.") var file: String
        func run() throws {
            let environment = Bootstrap.environment()
            let config = try Bootstrap.configuration(environment)
            let services = try Bootstrap.services(config, environment, Bootstrap.quietLogger())
            defer { services.database.shutdown() }
            let (service, _) = try Bootstrap.exitingOnConfigError { try BackupsFeature.service(services) }
            do {
                let m = try service.verify(file)
                print("ok: \(file): schema version \(m.schemaVersion), \(m.tables.count) tables, \(m.tables.reduce(0) { $0 + $1.rows }) rows, taken \(m.startedAt)")
            } catch {
                Bootstrap.writeStderr("FAILED: \(file): \(error)\n")
                throw ExitCode(1)
            }
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply the retention policy (BACKUP_KEEP_*) to successful backups, locally and in S3.")
        @Flag(name: .customLong("dry-run"), help: "Only show what would be deleted.") var dryRun = false
        func run() throws {
            let (service, services, pool) = try Backup.open()
            defer { services.database.shutdown() }
            let ids = try service.pruneNow(pool: pool, dryRun: dryRun, logger: Bootstrap.logging(services.config))
            print((dryRun ? "would delete" : "deleted") + " \(ids.count) backup(s)" + (ids.isEmpty ? "" : ": " + ids.joined(separator: ", ")))
        }
    }
}
