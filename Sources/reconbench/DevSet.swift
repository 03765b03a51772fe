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

    /// usage: reconbench devset DIR[,DIR...] OUT.json. Several sets are matched as one (their
    /// ids prefixed "1:", "2:"...; OUT.json.truth.csv is their joint truth): the same kind of
    /// books at several times the density, for how the matcher holds up at scale. The bank's
    /// sign convention comes from each set's meta.json, as a client would configure it.
    static func run(directories: [String], output: String) throws {
        var left = Side(), right = Side()
        var truth = "group_id,kind,note,left_ids,right_ids\n"
        for (n, directory) in directories.enumerated() {
            let prefix = directories.count == 1 ? "" : "\(n + 1):"
            let meta = FileManager.default.contents(atPath: directory + "/meta.json").map { String(decoding: $0, as: UTF8.self) } ?? ""
            let flipped = meta.contains(#""bank_sign": "flipped""#)
            for (side, file, isFlipped) in [(0, "/left.csv", false), (1, "/right.csv", flipped)] {
                var s = try read(directory + file, flipped: isFlipped)
                s.ids = s.ids.map { prefix + $0 }
                let offset = Int64(side == 0 ? left.ids.count : right.ids.count)
                for i in s.inputs.indices { s.inputs[i].id += offset }
                if side == 0 { left.ids += s.ids; left.inputs += s.inputs } else { right.ids += s.ids; right.inputs += s.inputs }
            }
            let rows = String(decoding: FileManager.default.contents(atPath: directory + "/truth.csv") ?? Data(), as: UTF8.self).split(whereSeparator: \.isNewline).dropFirst()
            for row in rows {
                let f = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard f.count == 5 else { continue }
                func ids(_ x: String) -> String { x.split(separator: "|").map { prefix + $0 }.joined(separator: "|") }
                let note = f[2].hasPrefix("duplicate_of:") ? "duplicate_of:" + prefix + f[2].dropFirst(13) : f[2]
                truth += "\(prefix)\(f[0]),\(f[1]),\(note),\(ids(f[3])),\(ids(f[4]))\n"
            }
        }
        try Data(truth.utf8).write(to: URL(fileURLWithPath: output + ".truth.csv"))
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
