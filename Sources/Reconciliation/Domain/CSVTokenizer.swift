/// RFC 4180 CSV as a state machine over bytes that arrive in pieces of any size (an upload
/// streaming in): quoted fields with embedded delimiters, doubled quotes and line breaks, CRLF
/// or LF, a UTF-8 byte-order mark. Memory holds one record at a time. Pure, no I/O.
public struct CSVTokenizer: Sendable {
    public struct Record: Sendable, Equatable {
        public var fields: [String]
        /// The line the record starts on (1-based, counting line breaks inside quotes).
        public var line: Int
    }

    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public var reason: String
        public var description: String { "line \(line), column \(column): \(reason)" }
    }

    enum State { case fieldStart, unquoted, quoted, quoteInQuoted, afterCR }

    public let delimiter: UInt8
    /// Largest field accepted (a malformed file must not grow a field without bound).
    public let maxFieldBytes: Int
    /// Most fields in one record (a line of delimiters alone must not grow without bound).
    public let maxFields: Int
    /// Most bytes in one record, all its fields together.
    public let maxRecordBytes: Int
    private var recordBytes = 0
    private var state = State.fieldStart
    private var field: [UInt8] = []
    private var fields: [String] = []
    private var line = 1
    private var recordLine = 1
    private var sawBOMCheck = false
    private var bomPrefix: [UInt8] = []

    public init(delimiter: UInt8 = UInt8(ascii: ","), maxFieldBytes: Int = 64 * 1024, maxFields: Int = 1024, maxRecordBytes: Int = 1 << 20) {
        self.delimiter = delimiter
        self.maxFieldBytes = maxFieldBytes
        self.maxFields = maxFields
        self.maxRecordBytes = maxRecordBytes
    }

    /// Consumes `bytes`, handing every completed record to `emit`.
    public mutating func feed(_ bytes: some Collection<UInt8>, _ emit: (Record) throws -> Void) throws {
        for b in bytes {
            if !sawBOMCheck {
                // Up to three bytes decide whether the file starts with EF BB BF.
                bomPrefix.append(b)
                let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
                if bomPrefix == Array(bom.prefix(bomPrefix.count)) {
                    if bomPrefix.count == 3 { sawBOMCheck = true; bomPrefix = [] }
                    continue
                }
                sawBOMCheck = true
                let pending = bomPrefix
                bomPrefix = []
                for p in pending { try step(p, emit) }
                continue
            }
            try step(b, emit)
        }
    }

    /// The last record when the input does not end with a line break.
    public mutating func finish(_ emit: (Record) throws -> Void) throws {
        if !sawBOMCheck && !bomPrefix.isEmpty {
            sawBOMCheck = true
            let pending = bomPrefix
            bomPrefix = []
            for p in pending { try step(p, emit) }
        }
        switch state {
        case .quoted:
            throw Failure(line: recordLine, column: fields.count + 1, reason: "a quoted field is not closed before the end of the file")
        case .fieldStart where fields.isEmpty && field.isEmpty, .afterCR:
            return
        default:
            try endRecord(emit)
        }
    }

    private mutating func append(_ b: UInt8) throws {
        guard field.count < maxFieldBytes else {
            throw Failure(line: line, column: fields.count + 1, reason: "field longer than \(maxFieldBytes) bytes")
        }
        recordBytes += 1
        guard recordBytes <= maxRecordBytes else {
            throw Failure(line: line, column: fields.count + 1, reason: "a record longer than \(maxRecordBytes) bytes")
        }
        field.append(b)
    }

    private mutating func endField() throws {
        guard fields.count < maxFields else {
            throw Failure(line: line, column: fields.count + 1, reason: "a record with more than \(maxFields) fields")
        }
        guard let text = String(validating: field, as: UTF8.self) else {
            throw Failure(line: line, column: fields.count + 1, reason: "not valid UTF-8")
        }
        fields.append(text)
        field.removeAll(keepingCapacity: true)
    }

    private mutating func endRecord(_ emit: (Record) throws -> Void) throws {
        try endField()
        let record = Record(fields: fields, line: recordLine)
        fields.removeAll(keepingCapacity: true)
        recordBytes = 0
        state = .fieldStart
        // A blank line is not a record.
        if !(record.fields.count == 1 && record.fields[0].isEmpty) { try emit(record) }
    }

    /// LF or CR ends the record (a CR may be followed by the LF of a CRLF).
    private mutating func lineBreak(_ b: UInt8, _ emit: (Record) throws -> Void) throws {
        try endRecord(emit)
        line += 1
        if b == 0x0D { state = .afterCR } else { recordLine = line }
    }

    private mutating func step(_ b: UInt8, _ emit: (Record) throws -> Void) throws {
        let quote = UInt8(ascii: "\""), cr: UInt8 = 0x0D, lf: UInt8 = 0x0A
        switch state {
        case .afterCR:
            state = .fieldStart
            recordLine = line
            if b == lf { return }
            try step(b, emit)
        case .fieldStart:
            if fields.isEmpty && field.isEmpty { recordLine = line }
            if b == quote { state = .quoted } else if b == delimiter { try endField() } else if b == lf || b == cr {
                try lineBreak(b, emit)
            } else {
                try append(b)
                state = .unquoted
            }
        case .unquoted:
            if b == delimiter {
                try endField()
                state = .fieldStart
            } else if b == lf || b == cr {
                try lineBreak(b, emit)
            } else if b == quote {
                throw Failure(line: line, column: fields.count + 1, reason: "a quote inside an unquoted field (quote the whole field and double the quote)")
            } else {
                try append(b)
            }
        case .quoted:
            if b == quote { state = .quoteInQuoted } else {
                if b == lf { line += 1 }
                try append(b)
            }
        case .quoteInQuoted:
            if b == quote {
                try append(quote)
                state = .quoted
            } else if b == delimiter {
                try endField()
                state = .fieldStart
            } else if b == lf || b == cr {
                try lineBreak(b, emit)
            } else {
                throw Failure(line: line, column: fields.count + 1, reason: "characters after a closing quote")
            }
        }
    }
}
