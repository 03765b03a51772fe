import Foundation
import Reconciliation
import SystemSupport

/// A development set of `../shared/recon-dev/` (left.csv, right.csv with the header
/// `id,date,amount,currency,reference,description,counterparty`) read through the upload
/// reader exactly as an upload would be, matched in process, and written as the export's JSON
/// so that the set's own scorer can read it. The fast loop for studying the matcher; the
/// end-to-end numbers come from scripts/bench-reconciliation over HTTP.
enum DevSet {
    struct Side {
        var ids: [String] = []
        var inputs: [MatchInput] = []
    }

    static let mapping = SourceSettings.Mapping(id: "id", date: "date", amount: "amount", currency: "currency", reference: "reference",
                                                description: "description", counterparty: "counterparty")

    struct Failure: Error, CustomStringConvertible { var description: String }

    static func read(_ path: String, flipped: Bool) throws -> Side {
        var options = SourceSettings.Options()
        if flipped { options.signConvention = SourceSettings.SignConvention.flipped.rawValue }
        var reader = UploadReader(settings: SourceSettings(mapping: mapping, options: options), fileTag: "dev")
        guard let bytes = FileManager.default.contents(atPath: path) else { throw Failure(description: "cannot read \(path)") }
        var side = Side()
        func add(_ r: ParsedRecord) {
            let d = r.date.split(separator: "-").compactMap { Int($0) }
            side.inputs.append(MatchInput(id: Int64(side.ids.count), amount: Amounts.units(r.amount)!,
                                          day: Int32(Gregorian.days(year: d[0], month: d[1], day: d[2])), currency: r.currency,
                                          reference: r.reference, description: r.description, counterparty: r.counterparty))
            side.ids.append(r.externalID)
        }
        try reader.feed([UInt8](bytes), add)
        try reader.finish(add)
        if reader.issueCount > 0 { throw Failure(description: "\(path): \(reader.issueCount) bad rows: \(reader.issues.prefix(3))") }
        return side
    }

    static func printModel(_ model: MatchModel) {
        print("model: match share \(String(format: "%.3f", model.matchShare)), \(model.iterations) iterations over \(model.pairs) pairs")
        for f in ComparisonField.allCases {
            let levels = f.levels.enumerated().map { i, name in
                "\(name) m=\(String(format: "%.3f", model.m[f.rawValue][i])) u=\(String(format: "%.3f", model.u[f.rawValue][i])) w=\(String(format: "%+.2f", log(model.m[f.rawValue][i] / model.u[f.rawValue][i])))"
            }
            print("  \(f.name): " + levels.joined(separator: "; "))
        }
    }

    /// usage: reconbench devset DIR OUT.json [flipped]  (flipped: the bank side's signs are the ledger's negated)
    static func run(directory: String, output: String, bankFlipped: Bool) throws {
        let left = try read(directory + "/left.csv", flipped: false)
        let right = try read(directory + "/right.csv", flipped: bankFlipped)
        let threshold = ProcessInfo.processInfo.environment["THRESHOLD"].flatMap(Double.init) ?? Matcher.defaultThreshold
        let start = Date()
        let outcome = try Matcher(threshold: threshold).run(left: left.inputs, right: right.inputs)
        let seconds = Date().timeIntervalSince(start)
        var json = #"{"matches":["#
        for (n, m) in outcome.matches.enumerated() {
            if n > 0 { json += "," }
            let l = m.left.map { "\"\(left.ids[$0])\"" }.joined(separator: ","), r = m.right.map { "\"\(right.ids[$0])\"" }.joined(separator: ",")
            json += #"{"left_ids":[\#(l)],"right_ids":[\#(r)],"confidence":\#(m.confidence),"kind":"\#(m.kind.rawValue)","why":"\#(m.signals.contributions.map { "\($0.level) \($0.weight)" }.joined(separator: ", ")) c=\#(m.signals.competitors)"}"#
        }
        json += "]}\n"
        try Data(json.utf8).write(to: URL(fileURLWithPath: output))
        if ProcessInfo.processInfo.environment["MODEL"] != nil { printModel(outcome.model) }
        print("matched \(left.inputs.count) x \(right.inputs.count) in \(String(format: "%.2f", seconds)) s: \(outcome.matches.count) matches, \(outcome.candidatePairs) candidate pairs")
    }
}
