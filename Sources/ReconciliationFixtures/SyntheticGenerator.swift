/// Generates a realistic reconciliation problem with known truth: a ledger export (left) and
/// a bank statement (right) over a year, with noise in dates (0-3 business days), amounts
/// (a few cents), references (other formats, only in the description, or missing) and names
/// (case, legal form, abbreviation, typos); decoys with equal amounts; payroll runs of
/// identical amounts; recurring payments; splits with and without a wire fee; batches
/// (check deposits, card settlements less a fee, one transfer for several invoices); records
/// on one side only; and a few indistinguishable duplicates.
public enum SyntheticGenerator {
    /// 2025-01-01 as a day number.
    static let startDay: Int32 = 20089

    public static func make(count: Int, seed: UInt64 = 42) -> SyntheticDataset {
        var g = Builder(rng: SeededRandom(state: seed))
        while g.left.count < count {
            let roll = g.rng.int(0...999)
            switch roll {
            case 0..<680: g.simplePair()
            case 680..<720: g.payrollRun()
            case 720..<770: g.recurring()
            case 770..<820: g.decoy()
            case 820..<860: g.leftOnly()
            case 860..<890: g.rightOnly()
            case 890..<920: g.split(withFee: false)
            case 920..<935: g.split(withFee: true)
            case 935..<955: g.deposit()
            case 955..<970: g.settlement()
            case 970..<990: g.multiInvoice()
            default: g.duplicates()
            }
        }
        return SyntheticDataset(left: g.left, right: g.right, truth: g.truth, scenarios: g.scenarios)
    }

    struct Builder {
        var rng: SeededRandom
        var left: [SyntheticRecord] = []
        var right: [SyntheticRecord] = []
        var truth = Set<SyntheticDataset.Pair>()
        var scenarios: [String: Int] = [:]
        var serial = 100_000
        var settlementDays = Set<String>()

        mutating func nextSerial() -> Int {
            serial += rng.int(1...7)
            return serial
        }

        mutating func businessDay() -> Int32 {
            var d = SyntheticGenerator.startDay + Int32(rng.int(0...360))
            while weekday(d) >= 5 { d += 1 }
            return d
        }

        func weekday(_ d: Int32) -> Int32 { ((d - 4) % 7 + 7) % 7 }

        /// The bank books a few business days later (mostly the same or next day).
        mutating func bankDay(_ d: Int32) -> Int32 {
            let lag = [0, 0, 0, 1, 1, 1, 2, 3][rng.int(0...7)]
            var day = d
            var left = lag
            while left > 0 {
                day += 1
                if weekday(day) < 5 { left -= 1 }
            }
            while weekday(day) >= 5 { day += 1 }
            return day
        }

        mutating func currency() -> String { rng.chance(0.1) ? "EUR" : "USD" }

        var current = ""
        mutating func add(left l: SyntheticRecord) { var l = l; l.scenario = current; left.append(l) }
        mutating func add(right r: SyntheticRecord) { var r = r; r.scenario = current; right.append(r) }
        mutating func link(_ l: [String], _ r: [String]) { for a in l { for b in r { truth.insert(.init(a, b)) } } }
        mutating func count(_ s: String) {
            scenarios[s, default: 0] += 1
            current = s
        }

        /// How the bank shows the ledger's invoice reference.
        mutating func bankReference(_ number: Int) -> (reference: String?, description: String?) {
            switch rng.int(0...9) {
            case 0...3: return ("INV\(String(repeating: "0", count: rng.int(0...2)))\(number)", nil)
            case 4...5: return ("\(number)", "PAYMENT")
            case 6...7: return (nil, "PAYMENT INV \(number) THANK YOU")
            case 8: return (nil, "TRANSFER REF:\(number)")
            default: return (nil, "PAYMENT")
            }
        }

        mutating func simplePair() {
            count("pair")
            let n = nextSerial()
            let name = SyntheticNames.company(&rng)
            let day = businessDay()
            let incoming = rng.chance(0.45)
            let amount = rng.amount(15, 25_000) * (incoming ? 1 : -1)
            let cur = currency()
            let lid = "L\(left.count + 1)", rid = "B\(right.count + 1)"
            add(left: SyntheticRecord(id: lid, day: day, amount: amount, currency: cur, reference: "INV-\(n)",
                                      description: "\(incoming ? "Invoice" : "Bill") \(n) \(name)", counterparty: name))
            // A few cents of difference (bank charges, FX rounding) on some.
            let noise: Int64 = rng.chance(0.05) ? Int64(rng.int(1...4)) * 100 * (rng.chance(0.5) ? 1 : -1) : 0
            let (ref, desc) = bankReference(n)
            add(right: SyntheticRecord(id: rid, day: bankDay(day), amount: amount + noise, currency: cur, reference: ref, description: desc,
                                       counterparty: rng.chance(0.9) ? SyntheticNames.variant(name, &rng) : nil))
            link([lid], [rid])
        }

        /// Salaries: one day, many identical amounts, told apart by the employee's name only.
        mutating func payrollRun() {
            count("payroll")
            let day = businessDay()
            let amount = -rng.amount(2_000, 6_000)
            for _ in 0..<rng.int(8...25) {
                let person = SyntheticNames.person(&rng)
                let lid = "L\(left.count + 1)", rid = "B\(right.count + 1)"
                add(left: SyntheticRecord(id: lid, day: day, amount: amount, currency: "USD", reference: nil, description: "Salary", counterparty: person))
                add(right: SyntheticRecord(id: rid, day: day, amount: amount, currency: "USD", reference: nil, description: "SALARY",
                                           counterparty: rng.chance(0.8) ? person.uppercased() : SyntheticNames.variant(person, &rng)))
                link([lid], [rid])
            }
        }

        /// Rent or a subscription: the same amount to the same party every month.
        mutating func recurring() {
            count("recurring")
            let name = SyntheticNames.company(&rng)
            let amount = -rng.amount(50, 8_000)
            let first = SyntheticGenerator.startDay + Int32(rng.int(0...27))
            for month in 0..<12 {
                var day = first + Int32(month * 30)
                while weekday(day) >= 5 { day += 1 }
                let lid = "L\(left.count + 1)", rid = "B\(right.count + 1)"
                add(left: SyntheticRecord(id: lid, day: day, amount: amount, currency: "USD", reference: nil, description: "Monthly fee", counterparty: name))
                add(right: SyntheticRecord(id: rid, day: bankDay(day), amount: amount, currency: "USD", reference: nil, description: "DIRECT DEBIT",
                                           counterparty: SyntheticNames.variant(name, &rng)))
                link([lid], [rid])
            }
        }

        /// A true pair plus a bank line of the same amount, near the same day, from someone else.
        mutating func decoy() {
            simplePair()
            count("decoy")
            let twin = left[left.count - 1]
            add(right: SyntheticRecord(id: "B\(right.count + 1)", day: bankDay(twin.day), amount: twin.amount, currency: twin.currency,
                                       reference: nil, description: "PAYMENT", counterparty: SyntheticNames.company(&rng).uppercased()))
        }

        /// An outstanding check: booked, not yet cleared.
        mutating func leftOnly() {
            count("left_only")
            add(left: SyntheticRecord(id: "L\(left.count + 1)", day: businessDay(), amount: -rng.amount(20, 5_000), currency: currency(),
                                      reference: "CHK-\(nextSerial())", description: "Check", counterparty: SyntheticNames.company(&rng)))
        }

        /// A bank charge or interest not booked in the ledger.
        mutating func rightOnly() {
            count("right_only")
            add(right: SyntheticRecord(id: "B\(right.count + 1)", day: businessDay(), amount: rng.amount(1, 300) * (rng.chance(0.5) ? 1 : -1),
                                       currency: currency(), reference: nil, description: rng.chance(0.5) ? "INTEREST" : "ACCOUNT FEE", counterparty: nil))
        }

        /// One payment the bank shows as several lines (instalments), optionally with the
        /// wire fee as a line of its own.
        mutating func split(withFee: Bool) {
            count(withFee ? "split_with_fee" : "split")
            let n = nextSerial()
            let name = SyntheticNames.company(&rng)
            let day = businessDay()
            let parts = (0..<rng.int(2...4)).map { _ in -rng.amount(100, 9_000) }
            var bankLines = parts
            if withFee { bankLines.append(-Int64(rng.int(15...45)) * 10_000) }
            let lid = "L\(left.count + 1)"
            add(left: SyntheticRecord(id: lid, day: day, amount: bankLines.reduce(0, +), currency: "USD", reference: "PO-\(n)",
                                      description: "Purchase order \(n)", counterparty: name))
            var ids: [String] = []
            for (i, a) in bankLines.enumerated() {
                let rid = "B\(right.count + 1)"
                let fee = withFee && i == bankLines.count - 1
                add(right: SyntheticRecord(id: rid, day: bankDay(day), amount: a, currency: "USD", reference: fee ? nil : "PO\(n)",
                                           description: fee ? "WIRE FEE PO \(n)" : "WIRE OUT PART \(i + 1)",
                                           counterparty: fee ? nil : SyntheticNames.variant(name, &rng)))
                ids.append(rid)
            }
            link([lid], ids)
        }

        /// Several checks from different customers deposited together under one slip number.
        mutating func deposit() {
            count("deposit")
            let slip = nextSerial()
            let day = businessDay()
            var ids: [String] = []
            var total: Int64 = 0
            for _ in 0..<rng.int(2...6) {
                let a = rng.amount(50, 4_000)
                total += a
                let lid = "L\(left.count + 1)"
                add(left: SyntheticRecord(id: lid, day: day, amount: a, currency: "USD", reference: "DEP-\(slip)",
                                          description: "Check received", counterparty: SyntheticNames.company(&rng)))
                ids.append(lid)
            }
            let rid = "B\(right.count + 1)"
            add(right: SyntheticRecord(id: rid, day: bankDay(day), amount: total, currency: "USD", reference: nil,
                                       description: "DEPOSIT SLIP \(slip)", counterparty: nil))
            link(ids, [rid])
        }

        /// A card processor pays out a day's sales less its fee, which the ledger books as a line.
        mutating func settlement() {
            count("settlement")
            let processor = rng.pick(["Stripe Payments", "Adyen", "Square Inc", "Worldpay Ltd"])
            // A processor pays out once a day: the day's sales less the day's fee.
            var day = businessDay()
            var tries = 0
            while settlementDays.contains("\(processor)\(day)") && tries < 50 {
                day = businessDay()
                tries += 1
            }
            settlementDays.insert("\(processor)\(day)")
            var ids: [String] = []
            var total: Int64 = 0
            for _ in 0..<rng.int(3...7) {
                let a = rng.amount(10, 600)
                total += a
                let lid = "L\(left.count + 1)"
                add(left: SyntheticRecord(id: lid, day: day, amount: a, currency: "USD", reference: nil, description: "Card sale", counterparty: processor))
                ids.append(lid)
            }
            let fee = -(total / 100 * 3 / 100 * 100)
            let feeID = "L\(left.count + 1)"
            add(left: SyntheticRecord(id: feeID, day: day, amount: fee, currency: "USD", reference: nil, description: "Processing fee", counterparty: processor))
            ids.append(feeID)
            let rid = "B\(right.count + 1)"
            add(right: SyntheticRecord(id: rid, day: bankDay(day), amount: total + fee, currency: "USD", reference: nil,
                                       description: "PAYOUT", counterparty: processor.uppercased()))
            link(ids, [rid])
        }

        /// A customer pays several invoices with one transfer.
        mutating func multiInvoice() {
            count("multi_invoice")
            let name = SyntheticNames.company(&rng)
            let day = businessDay()
            var ids: [String] = []
            var numbers: [Int] = []
            var total: Int64 = 0
            for _ in 0..<rng.int(2...4) {
                let n = nextSerial()
                let a = rng.amount(100, 6_000)
                total += a
                numbers.append(n)
                let lid = "L\(left.count + 1)"
                add(left: SyntheticRecord(id: lid, day: day - Int32(rng.int(0...2)), amount: a, currency: "USD", reference: "INV-\(n)",
                                          description: "Invoice \(n)", counterparty: name))
                ids.append(lid)
            }
            let rid = "B\(right.count + 1)"
            add(right: SyntheticRecord(id: rid, day: bankDay(day), amount: total, currency: "USD", reference: nil,
                                       description: "INVOICES \(numbers.map(String.init).joined(separator: " "))", counterparty: SyntheticNames.variant(name, &rng)))
            link(ids, [rid])
        }

        /// Two identical payments on both sides: nothing can tell which is which.
        mutating func duplicates() {
            count("duplicates")
            let name = SyntheticNames.company(&rng)
            let day = businessDay()
            let amount = -rng.amount(20, 800)
            for _ in 0..<2 {
                let lid = "L\(left.count + 1)", rid = "B\(right.count + 1)"
                add(left: SyntheticRecord(id: lid, day: day, amount: amount, currency: "USD", reference: nil, description: "Card purchase", counterparty: name))
                add(right: SyntheticRecord(id: rid, day: day, amount: amount, currency: "USD", reference: nil, description: "CARD", counterparty: name.uppercased()))
                link([lid], [rid])
            }
        }
    }
}
