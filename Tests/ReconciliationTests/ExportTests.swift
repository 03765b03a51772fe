import Testing
@testable import Reconciliation

/// The CSV export's cells cannot start a spreadsheet formula (OWASP CSV injection).
@Suite struct ExportTests {
    @Test(arguments: ["-1+1+cmd|' /C calc'!A0", "-2-cmd|' /C calc'!A0", "=\u{0301}cmd|' /C calc'!A0", "=SUM(A1:A9)", "+1+1", "@SUM(A1)",
                      "\tcmd", "\rcmd", "\u{FF1D}1+1", "\u{FF0B}1", "\u{FF0D}1", "\u{FF20}x", "  =1+1", "-10.00"])
    func formulaStartsAreNeutralised(_ payload: String) {
        let cell = ExportService.csvField(payload)
        let unquoted = cell.hasPrefix("\"") ? String(cell.dropFirst()) : cell
        #expect(unquoted.hasPrefix("'"), "\(payload.debugDescription) exported as \(cell.debugDescription)")
    }

    @Test func plainCellsStayAsTheyAre() {
        #expect(ExportService.csvField("INV-2024-001") == "INV-2024-001")
        #expect(ExportService.csvField("a,b") == "\"a,b\"")
        #expect(ExportService.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
    }
}
