/// Similarity of names: Jaro-Winkler on the whole normalised name and a token measure that
/// ignores word order; the better of the two. Pure; works on bytes.
enum StringSimilarity {
    static func jaroWinkler(_ a: [UInt8], _ b: [UInt8]) -> Double {
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in jaroWinkler(x, y) } }
    }

    static func jaroWinkler(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Double {
        if a.isEmpty || b.isEmpty { return a.isEmpty && b.isEmpty ? 1 : 0 }
        if a.elementsEqual(b) { return 1 }
        let window = max(0, max(a.count, b.count) / 2 - 1)
        // Flags on the stack: this runs millions of times per job.
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: a.count + b.count) { flags in
            flags.initialize(repeating: false)
            var matches = 0
            for i in 0..<a.count {
                let lo = max(0, i - window), hi = min(b.count - 1, i + window)
                if lo > hi { continue }
                for j in lo...hi where !flags[a.count + j] && a[i] == b[j] {
                    flags[i] = true
                    flags[a.count + j] = true
                    matches += 1
                    break
                }
            }
            if matches == 0 { return 0 }
            var transpositions = 0
            var j = 0
            for i in 0..<a.count where flags[i] {
                while !flags[a.count + j] { j += 1 }
                if a[i] != b[j] { transpositions += 1 }
                j += 1
            }
            let m = Double(matches)
            let jaro = (m / Double(a.count) + m / Double(b.count) + (m - Double(transpositions / 2)) / m) / 3
            var prefix = 0
            while prefix < min(4, a.count, b.count) && a[prefix] == b[prefix] { prefix += 1 }
            return jaro + Double(prefix) * 0.1 * (1 - jaro)
        }
    }

    /// Tokens paired one to one, best pairs first, and their Jaro-Winkler averaged over the
    /// shorter name: "acme widgets" and "widgets acme" score 1, while "william williams" and
    /// "william thompson" cannot pair both of their words with the one "william".
    static func tokens(_ a: [[UInt8]], _ b: [[UInt8]]) -> Double {
        if a.isEmpty || b.isEmpty { return 0 }
        let (short, long) = a.count <= b.count ? (a, b) : (b, a)
        let n = short.count * long.count
        let total = withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { scores -> Double in
            for (i, t) in short.enumerated() {
                for (j, u) in long.enumerated() { scores[i * long.count + j] = jaroWinkler(t, u) }
            }
            // Greedy one-to-one: take the best remaining pair, retire its row and column.
            var sum = 0.0
            for _ in 0..<short.count {
                var best = -1.0, at = 0
                for k in 0..<n where scores[k] > best { best = scores[k]; at = k }
                sum += best
                let row = at / long.count, column = at % long.count
                for j in 0..<long.count { scores[row * long.count + j] = -2 }
                for i in 0..<short.count { scores[i * long.count + column] = -2 }
            }
            return sum
        }
        // A name with extra words is less similar than one with the same words.
        let coverage = Double(short.count) / Double(long.count)
        return total / Double(short.count) * (0.85 + 0.15 * coverage)
    }

    static func names(_ a: PreparedName, _ b: PreparedName) -> Double {
        if a.joined.isEmpty || b.joined.isEmpty { return 0 }
        if a.joined == b.joined { return 1 }
        // Names of several words compare word by word: "William Williams" and "William
        // Thompson" share a long prefix, which would flatter whole-string Jaro-Winkler.
        if a.tokens.count >= 2 && b.tokens.count >= 2 { return tokens(a.tokens, b.tokens) }
        return max(jaroWinkler(a.joined, b.joined), tokens(a.tokens, b.tokens))
    }
}

/// A name normalised once per record, compared many times.
struct PreparedName: Sendable {
    var tokens: [[UInt8]]
    var joined: [UInt8]

    init(_ text: String?) {
        let t = TextNormalizer.nameTokens(text)
        tokens = t.map { Array($0.utf8) }
        joined = Array(t.joined(separator: " ").utf8)
    }

    var isEmpty: Bool { joined.isEmpty }
}
