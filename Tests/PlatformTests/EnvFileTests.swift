import Testing
@testable import Platform

@Suite struct EnvFileTests {
    @Test func settingsCommentsQuotesAndExport() throws {
        let values = try EnvFile.parse("""
            # a comment
            APP_ENV=development

            export HOST="0.0.0.0"
            JWT_SECRET='a b=c#d'
            EMPTY=
            TRAILING=x  \r
            """, path: ".env")
        #expect(values["APP_ENV"] == "development")
        #expect(values["HOST"] == "0.0.0.0")
        #expect(values["JWT_SECRET"] == "a b=c#d", "quoted values are taken as they are")
        #expect(values["EMPTY"] == "")
        #expect(values["TRAILING"] == "x")
    }

    @Test(arguments: ["just words", "=value", "1NAME=x", "NA-ME=x", "PORT = 1"])
    func aLineThatIsNoSettingIsNamed(_ line: String) {
        #expect(throws: EnvFile.Failure.self) { try EnvFile.parse("OK=1\n\(line)\n", path: ".env") }
        do { _ = try EnvFile.parse("OK=1\n\(line)\n", path: ".env") } catch { #expect("\(error)" == ".env, line 2: not NAME=value") }
    }
}
