/// Facts of the proleptic Gregorian calendar, written once for every date parser.
public enum Gregorian {
    public static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

/// FNV-1a (64-bit): a small stable hash for keys that must be the same on every machine and
/// every run (advisory-lock keys, demo-data seeds). Not for security.
public enum FNV1a {
    public static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}
