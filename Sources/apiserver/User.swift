import Accounts
import ArgumentParser
import Foundation
import Platform

struct User: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage accounts from the command line.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account (the way to make the first administrator: there are no default credentials).",
            discussion: "The password is read from --password-file, or else from standard input (one line), never from the command line.")

        @Option(help: "The account's email address.")
        var email: String

        @Option(help: "admin or user.")
        var role: String = "user"

        @Option(name: .customLong("password-file"), help: "A file whose first line is the password.")
        var passwordFile: String?

        func run() throws {
            let text: String
            if let passwordFile {
                guard let data = FileManager.default.contents(atPath: passwordFile) else { throw ValidationError("cannot read \(passwordFile)") }
                text = String(decoding: data, as: UTF8.self)
            } else {
                text = readLine(strippingNewline: false) ?? ""
            }
            var password = String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            if password.hasSuffix("\r") { password.removeLast() }
            let environment = Bootstrap.environment()
            let config = try Bootstrap.configuration(environment)
            let services = try Bootstrap.services(config, environment, Bootstrap.quietLogger())
            defer { services.database.shutdown() }
            if config.migrateOnStart { try services.database.migrate(logger: Bootstrap.quietLogger()) }
            do {
                let user = try AccountsFeature.createUser(services: services, email: email, password: password, role: role)
                print("created \(role) \(user.email) (id \(user.id))")
            } catch let e as AppError {
                Bootstrap.writeStderr("cannot create the account: \(e.message)" + e.details.map { " (\($0.field) \($0.issue))" }.joined() + "\n")
                throw ExitCode(e.code == .conflict ? 75 : 65)
            }
        }
    }
}
