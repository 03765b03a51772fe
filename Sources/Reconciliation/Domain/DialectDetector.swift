/// Guesses the delimiter of a CSV from its first lines: the candidate (comma, semicolon, tab,
/// pipe) that splits every sampled line into the same number of fields, more than one, with
/// the most fields; ties go to the earlier candidate. Quoted sections are skipped. Pure.
public enum DialectDetector {
    public static let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")]

    public static func delimiter(sample: [UInt8], maxLines: Int = 20) -> UInt8? {
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        var quoted = false
        for b in sample {
            if b == UInt8(ascii: "\"") { quoted.toggle() }
            if !quoted && (b == 0x0A || b == 0x0D) {
                if !current.isEmpty { lines.append(current) }
                current = []
                if lines.count >= maxLines { break }
                continue
            }
            if !quoted { current.append(b) } else if b != UInt8(ascii: "\"") { current.append(0) }
        }
        if !current.isEmpty && lines.count < maxLines && sample.count < 64 * 1024 { lines.append(current) }
        guard !lines.isEmpty else { return nil }
        var best: (UInt8, Int)?
        for c in candidates {
            let counts = Set(lines.map { $0.reduce(0) { $0 + ($1 == c ? 1 : 0) } })
            guard counts.count == 1, let n = counts.first, n > 0 else { continue }
            if best == nil || n > best!.1 { best = (c, n) }
        }
        return best?.0
    }
}
