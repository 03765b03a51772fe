import Foundation
import Testing
@testable import Markets

@Suite struct CSVProviderTests {
    static func directory(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "csv-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    static let assets = "symbol,name,sector,currency,market_cap\nAAA,\"Alpha, Inc.\",Tech,USD,1000000\nBBB,Beta,,USD,\n^IDX,Index,,USD,\n"
    static let end = Day(year: 2024, month: 6, day: 28)

    @Test func headerNamesDecideTheColumnsInAnyOrder() throws {
        let dir = try Self.directory([
            "assets.csv": "\u{FEFF}" + Self.assets,
            "prices.csv": "date,close,symbol,volume,low,high,open\r\n2024-06-27,10.5,AAA,100,10,11,10.2\r\n2024-06-28,10.7,AAA,,,,\r\n2024-06-28,5,BBB,,,,\r\n",
            "fx.csv": "date,currency,rate\n2024-06-28,EUR,0.93\n2024-06-28,JPY,160.8\n",
        ])
        let p = CSVProvider(directory: dir, benchmark: "^IDX")
        let assets = try p.assets()
        #expect(assets.map(\.symbol) == ["AAA", "BBB", "^IDX"])
        #expect(assets[0].name == "Alpha, Inc." && assets[0].marketCap == 1_000_000 && assets[1].marketCap == nil)
        #expect(assets[2].isBenchmark && assets[2].assetClass == "index")
        let bars = try p.prices([("AAA", nil), ("BBB", Day(year: 2024, month: 6, day: 28)), ("^IDX", nil)], through: Self.end)
        #expect(bars["AAA"]?.count == 2 && bars["AAA"]?[0].open == 10.2 && bars["AAA"]?[0].volume == 100 && bars["AAA"]?[1].high == nil)
        #expect(bars["BBB"]?.count == 1)
        let fx = try p.fxRates(["EUR", "JPY"], from: nil, through: Self.end)
        #expect(fx.count == 2 && fx.first { $0.currency == "JPY" }?.rate == 160.8)
        // fx.csv is optional.
        #expect(try CSVProvider(directory: try Self.directory(["assets.csv": Self.assets]), benchmark: "^IDX").fxRates(["EUR"], from: nil, through: Self.end).isEmpty)
    }

    @Test(arguments: [
        ("symbol,date\nAAA,2024-06-28\n", "prices.csv line 1: missing column close"),
        ("symbol,date,close,colour\nAAA,2024-06-28,1,red\n", "prices.csv line 1: unknown column colour"),
        ("symbol,date,close\nAAA,2024-06-28,1\nAAA,28/06/2024,1\n", "prices.csv line 3: date must be an ISO date"),
        ("symbol,date,close\nAAA,2024-06-28,-1\n", "prices.csv line 2: close must be a positive finite number"),
        ("symbol,date,close\nAAA,2024-06-28,abc\n", "prices.csv line 2: close must be"),
        ("symbol,date,close\nAAA,2024-06-28,1\nAAA,2024-06-28,2\n", "prices.csv line 3: duplicate AAA on 2024-06-28"),
        ("symbol,date,close\nZZZ,2024-06-28,1\n", "prices.csv line 2: unknown symbol ZZZ"),
        ("symbol,date,close,low,high\nAAA,2024-06-28,5,6,7\n", "prices.csv line 2: low <= open, close <= high does not hold"),
        ("symbol,date,close\nAAA,2024-06-28\n", "prices.csv line 2: has 2 fields, the header has 3"),
        ("symbol,date,close\nAAA,2030-01-02,1\n", "prices.csv line 2: date 2030-01-02 is in the future"),
        ("symbol,date,close,volume\nAAA,2024-06-28,1,-3\n", "prices.csv line 2: volume must be a non-negative integer"),
    ])
    func everyBadRowIsReportedWithFileLineAndReason(prices: String, message: String) throws {
        let p = CSVProvider(directory: try Self.directory(["assets.csv": Self.assets, "prices.csv": prices]), benchmark: "^IDX")
        do {
            _ = try p.prices([("AAA", nil), ("BBB", nil), ("^IDX", nil)], through: Self.end)
            Issue.record("accepted: \(prices)")
        } catch let e as ProviderError {
            #expect(e.message.hasPrefix(message), "\(e.message)")
        }
    }

    @Test func badAssetAndFXFilesAreRefused() throws {
        for (assets, message) in [("symbol,name\nAAA,x\n", "assets.csv line 1: missing column currency"),
                                  ("symbol,name,currency\nAAA,x,XYZ\n", "assets.csv line 2: currency is missing or not supported"),
                                  ("symbol,name,currency\naa a,x,USD\n", "assets.csv line 2: symbol is missing or invalid"),
                                  ("symbol,name,currency,market_cap\nAAA,x,USD,-5\n", "assets.csv line 2: market_cap must be a positive number"),
                                  ("symbol,name,currency\nAAA,x,USD\nAAA,y,USD\n", "assets.csv line 3: symbol AAA listed twice")] {
            let p = CSVProvider(directory: try Self.directory(["assets.csv": assets]), benchmark: "^IDX")
            #expect(throws: ProviderError.self) { try p.assets() }
            do { _ = try p.assets() } catch let e as ProviderError { #expect(e.message.hasPrefix(message), "\(e.message)") }
        }
        for (fx, message) in [("date,currency,rate\n2024-06-28,EUR,0\n", "fx.csv line 2: rate must be a positive finite number"),
                              ("date,currency,rate\n2024-06-28,USD,1\n", "fx.csv line 2: currency is missing, USD, or not supported"),
                              ("date,currency,rate\n2024-06-28,EUR,1\n2024-06-28,EUR,1\n", "fx.csv line 3: duplicate EUR on 2024-06-28")] {
            let p = CSVProvider(directory: try Self.directory(["assets.csv": Self.assets, "fx.csv": fx]), benchmark: "^IDX")
            do {
                _ = try p.fxRates(["EUR"], from: nil, through: Self.end)
                Issue.record("accepted: \(fx)")
            } catch let e as ProviderError {
                #expect(e.message.hasPrefix(message), "\(e.message)")
            }
        }
        #expect(throws: ProviderError.self) { try CSVProvider(directory: "/nonexistent", benchmark: "^IDX").assets() }
    }
}
