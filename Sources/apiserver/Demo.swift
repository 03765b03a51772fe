import Accounts
import ArgumentParser
import Crypto
import Foundation
import Platform
import Reconciliation
import ReconciliationFixtures

/// `apiserver demo`: demonstration data for reconciliation on a development database.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a demo account with a reconciliation project (generated ledger and bank statement, a queued job).",
        discussion: """
            Refused in production. Idempotent: when the account exists nothing is changed. The generated password is printed \
            once and written to --password-out (mode 0600) if given; log in with it at POST /api/v1/auth/login.
            """)

    @Option(help: "The demo account's email address.")
    var email: String = "demo@example.com"

    @Option(help: "Records per side in the generated files.")
    var records: Int = 2_000

    @Option(name: .customLong("password-out"), help: "Also write the generated password to this file (mode 0600).")
    var passwordOut: String?

    func run() throws {
        do { try seed() } catch let e as AppError {
            Bootstrap.writeStderr("cannot create the demo data: \(e.message)" + e.details.map { " (\($0.field) \($0.issue))" }.joined() + "\n")
            throw ExitCode(65)
        }
    }

    func seed() throws {
        let environment = Bootstrap.environment()
        let config = try Bootstrap.configuration(environment)
        guard config.environment != .production else {
            Bootstrap.writeStderr("apiserver demo is refused in production\n")
            throw ExitCode(64)
        }
        guard (10...200_000).contains(records) else { throw ValidationError("--records must be 10 to 200000") }
        let services = try Bootstrap.services(config, environment, Bootstrap.quietLogger())
        defer { services.database.shutdown() }
        if config.migrateOnStart { try services.database.migrate(logger: Bootstrap.quietLogger()) }
        // Not derived from the email (the password policy refuses that).
        let password = "sample-" + SecureRandom.hex(10)
        let user: (id: String, email: String)
        do {
            user = try AccountsFeature.createUser(services: services, email: email, password: password, role: "user")
        } catch let e as AppError where e.code == .conflict {
            print("demo data already present (account \(email))")
            return
        }
        let project = try AccountsFeature.createProject(services: services, owner: user.id, name: "Demo reconciliation",
                                                        description: "Generated ledger and bank statement with known truth")
        let data = SyntheticGenerator.make(count: records, seed: 2026)
        let job = try ReconciliationFeature.seedDemo(services: services, project: project, owner: user.id,
                                                     ledgerCSV: SyntheticCSV.ledger(data.left), bankCSV: SyntheticCSV.bank(data.right))
        if let passwordOut {
            guard FileManager.default.createFile(atPath: passwordOut, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write \(passwordOut)")
            }
        }
        print("demo account \(user.email), password \(password)")
        print("project \(project): ledger and bank statement of \(data.left.count) and \(data.right.count) records; job \(job) is queued (serve runs it)")
    }
}
