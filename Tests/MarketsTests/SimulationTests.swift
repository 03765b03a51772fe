import Foundation
import Testing
@testable import Markets

@Suite struct SimulationTests {
    static let d0 = Day(year: 2024, month: 1, day: 1)
    static let index: [(day: Day, value: Double)] = [(d0, 100), (d0 + 1, 105), (d0 + 2, 90), (d0 + 366, 110)]

    static func input(_ amount: String, _ code: String, _ start: Day, _ end: Day? = nil) -> Simulation.Input {
        Simulation.Input(amount: Decimal(string: amount)!, currency: Currency.named(code)!, startDate: start, endDate: end)
    }

    @Test func usdFollowsTheIndex() throws {
        let out = try Simulation.run(Self.input("1000", "USD", Self.d0), index: Self.index) { _ in nil }
        #expect(out.amountFinal == Decimal(string: "1100"))
        #expect(out.rateStart == 1 && out.rateEnd == 1)
        #expect(abs(out.roiPct - 10) < 1e-12 && abs(out.usdRoiPct - 10) < 1e-12 && abs(out.fxEffectPct) < 1e-12)
        #expect(out.days == 366)
        #expect(abs(out.annualizedReturnPct! - (pow(1.1, 365.25 / 366) - 1) * 100) < 1e-9)
        #expect(abs(out.maxDrawdownPct! - (90.0 / 105 - 1) * 100) < 1e-12)
    }

    @Test func exchangeRatesAtBothEndsMoveTheResult() throws {
        // 1000 EUR at 0.8 EUR/USD is 1250 USD; +10% is 1375 USD; at 0.9 that is 1237.50 EUR.
        let out = try Simulation.run(Self.input("1000", "EUR", Self.d0), index: Self.index) { d in
            d < Self.d0 + 10 ? Decimal(string: "0.8") : Decimal(string: "0.9")
        }
        #expect(out.amountUSD == 1250 && out.finalUSD == 1375)
        #expect(out.amountFinal == Decimal(string: "1237.5"))
        #expect(abs(out.roiPct - 23.75) < 1e-12)
        #expect(abs(out.fxEffectPct - 13.75) < 1e-12)
    }

    @Test func yenRoundsHalfEvenToWholeUnits() throws {
        // 10000 JPY -> 100 USD -> 100.005 USD -> 10000.5 JPY, rounded half-even to 10000.
        let index: [(day: Day, value: Double)] = [(Self.d0, 100), (Self.d0 + 1, 100.005)]
        let out = try Simulation.run(Self.input("10000", "JPY", Self.d0), index: index) { _ in 100 }
        #expect(out.amountFinal == 10000)
        let up: [(day: Day, value: Double)] = [(Self.d0, 100), (Self.d0 + 1, 100.015)]
        #expect(try Simulation.run(Self.input("10000", "JPY", Self.d0), index: up) { _ in 100 }.amountFinal == 10002)
        #expect(Simulation.decimalPlaces(Decimal(string: "100.00")!) == 0)
        #expect(Simulation.decimalPlaces(Decimal(string: "100.5")!) == 1)
    }

    @Test func datesResolveToIndexDatesAndStartEqualEndIsValid() throws {
        let out = try Simulation.run(Self.input("50", "USD", Self.d0 + 2, Self.d0 + 300), index: Self.index) { _ in nil }
        #expect(out.start == Self.d0 + 2 && out.end == Self.d0 + 2 && out.days == 0)
        #expect(out.annualizedReturnPct == nil)
        #expect(out.amountFinal == 50)
    }

    @Test func everyFailureIsReported() {
        #expect(throws: Simulation.Failure.noIndexData) { try Simulation.run(Self.input("1", "USD", Self.d0), index: []) { _ in nil } }
        #expect(throws: Simulation.Failure.startAfterLastIndexDate(Self.d0 + 400)) {
            try Simulation.run(Self.input("1", "USD", Self.d0 + 400), index: Self.index) { _ in nil }
        }
        #expect(throws: Simulation.Failure.endBeforeFirstIndexDate(Self.d0 - 1)) {
            try Simulation.run(Self.input("1", "USD", Self.d0 - 5, Self.d0 - 1), index: Self.index) { _ in nil }
        }
        #expect(throws: Simulation.Failure.startAfterEnd(start: Self.d0 + 366, end: Self.d0 + 2)) {
            try Simulation.run(Self.input("1", "USD", Self.d0 + 3, Self.d0 + 300), index: Self.index) { _ in nil }
        }
        #expect(throws: Simulation.Failure.missingRate(currency: "GBP", on: Self.d0)) {
            try Simulation.run(Self.input("1", "GBP", Self.d0), index: Self.index) { _ in nil }
        }
        #expect(throws: Simulation.Failure.invalidRate(currency: "GBP", on: Self.d0)) {
            try Simulation.run(Self.input("1", "GBP", Self.d0), index: Self.index) { _ in 0 }
        }
    }
}

@Suite struct DemoProviderTests {
    @Test func sameSeedSameDataAndALongerRunExtendsAShorterOne() throws {
        let short = DemoProvider(today: Day(year: 2021, month: 6, day: 30))
        let long = DemoProvider(today: Day(year: 2024, month: 6, day: 30))
        let s = try short.prices([("AAPL", nil), ("META", nil), ("USO", nil), ("^GSPC", nil)], through: Day(year: 2030, month: 1, day: 1))
        let l = try long.prices([("AAPL", nil), ("META", nil), ("USO", nil), ("^GSPC", nil)], through: Day(year: 2030, month: 1, day: 1))
        #expect(s["AAPL"]! == Array(l["AAPL"]!.prefix(s["AAPL"]!.count)))
        #expect(try short.prices([("AAPL", nil)], through: Day(year: 2022, month: 1, day: 1))["AAPL"]! == s["AAPL"]!)
        // Business days only, none on 25 Dec or 1 Jan, a few missing, META later, USO below 1.0 in April 2020.
        let aapl = l["AAPL"]!
        #expect(aapl.first!.day == DemoProvider.firstDay)
        #expect(aapl.allSatisfy { !$0.day.isWeekend && !DemoProvider.isHoliday($0.day) })
        let businessDays = (DemoProvider.firstDay.number...Day(year: 2024, month: 6, day: 28).number).filter { !Day($0).isWeekend && !DemoProvider.isHoliday(Day($0)) }.count
        #expect(aapl.count < businessDays && aapl.count > businessDays - 30)
        #expect(l["META"]!.first!.day >= Day(year: 2019, month: 6, day: 3))
        #expect(l["USO"]!.contains { $0.close < 1 && $0.day.civil.year == 2020 })
        for bar in aapl { #expect(bar.low! <= min(bar.open!, bar.close) && bar.high! >= max(bar.open!, bar.close) && bar.close > 0) }
        let fx = try long.fxRates(Currency.codes, from: nil, through: Day(year: 2030, month: 1, day: 1))
        #expect(Set(fx.map(\.currency)).count == 19)
        #expect(!fx.contains { DemoProvider.isHoliday($0.day) })
        #expect(fx.allSatisfy { $0.rate > 0 })
        let assets = try long.assets()
        #expect(assets.count == 14 && assets.filter(\.isBenchmark).map(\.symbol) == ["^GSPC"])
    }
}
