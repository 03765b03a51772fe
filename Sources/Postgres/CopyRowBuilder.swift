/// Builds COPY text-format rows straight into one byte buffer: the bulk writers' hot path (a
/// job's ~1M matches and ~2M items), with no array or String per row. Fields are appended in
/// column order; `endRow` closes a row. Text fields are escaped as `PostgresCopy.line` does.
public struct CopyRowBuilder {
    public private(set) var bytes: [UInt8] = []
    private var fieldsInRow = 0

    /// `capacity`: bytes reserved up front (a bulk writer's flush size plus a row's slack; a
    /// single line's own length).
    public init(capacity: Int = 260 * 1024) { bytes.reserveCapacity(capacity) }

    public var count: Int { bytes.count }

    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    private mutating func separate() {
        if fieldsInRow > 0 { bytes.append(0x09) }
        fieldsInRow += 1
    }

    /// A text field, escaped (backslash, tab, newline, carriage return).
    public mutating func text(_ s: String) {
        separate()
        var s = s
        s.withUTF8 { appendEscaped($0) }
    }

    /// A text field given as bytes, escaped.
    public mutating func text(bytes b: UnsafeBufferPointer<UInt8>) {
        separate()
        appendEscaped(b)
    }

    /// A field of bytes the caller vouches need no escaping (digits, a UUID's text, JSON made
    /// of identifiers and numbers), copied as they are.
    public mutating func plain(_ b: [UInt8]) {
        separate()
        bytes.append(contentsOf: b)
    }

    public mutating func plain(_ s: StaticString) {
        separate()
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func integer(_ v: Int64) {
        separate()
        Self.appendDecimal(v, to: &bytes)
    }

    public mutating func null() {
        separate()
        bytes.append(0x5C)
        bytes.append(UInt8(ascii: "N"))
    }

    public mutating func endRow() {
        bytes.append(0x0A)
        fieldsInRow = 0
    }

    private mutating func appendEscaped(_ b: UnsafeBufferPointer<UInt8>) {
        var start = 0
        for j in 0..<b.count {
            let c = b[j]
            guard c == 0x5C || c == 0x09 || c == 0x0A || c == 0x0D else { continue }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<j]))
            bytes.append(0x5C)
            bytes.append(c == 0x5C ? 0x5C : c == 0x09 ? UInt8(ascii: "t") : c == 0x0A ? UInt8(ascii: "n") : UInt8(ascii: "r"))
            start = j + 1
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: b[start...]))
    }

    /// Decimal digits of `v` (with "-" when negative), written in place.
    public static func appendDecimal(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        var width = 1
        var p: UInt64 = 10
        while width < 20 && m >= p { width += 1; p = p &* 10 }
        let end = out.count + width
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        var i = end - 1
        repeat {
            out[i] = UInt8(ascii: "0") + UInt8(m % 10)
            m /= 10
            i -= 1
        } while m > 0
    }
}
