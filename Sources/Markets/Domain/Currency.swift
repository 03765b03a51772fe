/// The currencies the simulation and the FX routes support, with their ISO 4217 minor units.
public struct Currency: Sendable, Equatable {
    public let code: String
    public let name: String
    public let minorUnits: Int

    public static let all: [Currency] = [
        Currency(code: "USD", name: "US Dollar", minorUnits: 2),
        Currency(code: "EUR", name: "Euro", minorUnits: 2),
        Currency(code: "GBP", name: "Pound Sterling", minorUnits: 2),
        Currency(code: "JPY", name: "Yen", minorUnits: 0),
        Currency(code: "CHF", name: "Swiss Franc", minorUnits: 2),
        Currency(code: "CAD", name: "Canadian Dollar", minorUnits: 2),
        Currency(code: "AUD", name: "Australian Dollar", minorUnits: 2),
        Currency(code: "NZD", name: "New Zealand Dollar", minorUnits: 2),
        Currency(code: "CNY", name: "Yuan Renminbi", minorUnits: 2),
        Currency(code: "HKD", name: "Hong Kong Dollar", minorUnits: 2),
        Currency(code: "SGD", name: "Singapore Dollar", minorUnits: 2),
        Currency(code: "SEK", name: "Swedish Krona", minorUnits: 2),
        Currency(code: "NOK", name: "Norwegian Krone", minorUnits: 2),
        Currency(code: "DKK", name: "Danish Krone", minorUnits: 2),
        Currency(code: "PLN", name: "Zloty", minorUnits: 2),
        Currency(code: "MXN", name: "Mexican Peso", minorUnits: 2),
        Currency(code: "BRL", name: "Brazilian Real", minorUnits: 2),
        Currency(code: "INR", name: "Indian Rupee", minorUnits: 2),
        Currency(code: "KRW", name: "Won", minorUnits: 0),
        Currency(code: "ZAR", name: "Rand", minorUnits: 2),
    ]

    public static let codes: [String] = all.map(\.code)

    public static func named(_ code: String) -> Currency? { all.first { $0.code == code } }
}
