/// Names and their real-world variants (case, legal form, abbreviation, typo).
enum SyntheticNames {
    static let firstWords = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne", "Soylent", "Hooli",
                             "Vandelay", "Pied", "Massive", "Dunder", "Gringotts", "Oscorp", "Nakatomi", "Monarch", "Prestige",
                             "Blue", "Red", "Green", "Silver", "Golden", "Northern", "Southern", "Eastern", "Western", "Pacific",
                             "Atlantic", "Summit", "Pioneer", "Liberty", "Heritage", "Evergreen", "Keystone", "Harbor", "Granite", "Cedar"]
    static let secondWords = ["Widgets", "Logistics", "Consulting", "Supplies", "Foods", "Energy", "Systems", "Services", "Media", "Labs",
                              "Partners", "Holdings", "Traders", "Builders", "Pharma", "Textiles", "Motors", "Analytics", "Design", "Freight"]
    static let legalForms = ["Inc", "LLC", "Ltd", "GmbH", "Corp", "PLC", "SA", "BV"]
    static let people = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez",
                         "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez",
                         "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen",
                         "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores"]
    static let given = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William",
                        "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Anna", "Luis", "Mei", "Omar"]

    static func company(_ rng: inout SeededRandom) -> String {
        "\(rng.pick(firstWords)) \(rng.pick(secondWords)) \(rng.pick(legalForms))"
    }

    static func person(_ rng: inout SeededRandom) -> String { "\(rng.pick(given)) \(rng.pick(people))" }

    /// How a bank statement writes a name: upper case, legal form changed or dropped,
    /// abbreviated, truncated, or with a typo.
    static func variant(_ name: String, _ rng: inout SeededRandom) -> String {
        var words = name.split(separator: " ").map(String.init)
        switch rng.int(0...9) {
        case 0...2: return name.uppercased()
        case 3: if words.count > 2 { words.removeLast() }
        case 4: if let last = words.last, legalForms.contains(last) { words[words.count - 1] = last + "." }
        case 5:
            // A typo: one letter swapped with its neighbour.
            var chars = Array(words[0])
            if chars.count > 3 { let i = rng.int(1...(chars.count - 2)); chars.swapAt(i, i + 1) }
            words[0] = String(chars)
        case 6: words = words.map { $0 == "Services" ? "Svcs" : $0 == "Systems" ? "Sys" : $0 }
        default: break
        }
        return words.joined(separator: " ").uppercased()
    }
}
