/// The words of a text in one byte array, separated by spaces (a word is letters only, so it
/// holds none): one allocation per record where an array per word took six or more, most of
/// a million-record job's memory.
struct WordList: Sendable, Equatable {
    private var bytes: [UInt8] = []

    init(_ words: [[UInt8]]) {
        bytes.reserveCapacity(words.reduce(0) { $0 + $1.count + 1 })
        for (i, w) in words.enumerated() {
            if i > 0 { bytes.append(0x20) }
            bytes.append(contentsOf: w)
        }
    }

    var isEmpty: Bool { bytes.isEmpty }

    /// Whether `body` holds for some word (in order, stopping at the first).
    func contains(where body: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        bytes.withUnsafeBufferPointer { all in
            var start = 0
            while start < all.count {
                var end = start
                while end < all.count && all[end] != 0x20 { end += 1 }
                if body(UnsafeBufferPointer(rebasing: all[start..<end])) { return true }
                start = end + 1
            }
            return false
        }
    }

    func forEach(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        _ = contains { body($0); return false }
    }
}
