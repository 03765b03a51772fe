import Testing
import Crypto

@Suite struct CryptoTests {
    @Test func gzipRoundTripsAndShrinksRepetitiveData() throws {
        let input = Array(String(repeating: "{\"price\":123.45,\"symbol\":\"ABC\"},", count: 2000).utf8)
        let compressed = try #require(Gzip.compress(input))
        #expect(compressed.count < input.count / 10)
        #expect(compressed.prefix(2) == [0x1F, 0x8B], "gzip magic")
        #expect(try Gzip.decompress(compressed, maxOutput: input.count) == input)
    }

    @Test func decompressionRefusesBombsAndGarbage() throws {
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        let bomb = try #require(Gzip.compress(zeros))
        #expect(throws: Gzip.Error.self) { try Gzip.decompress(bomb, maxOutput: 1000) }
        #expect(throws: Gzip.Error.self) { try Gzip.decompress(Array("not gzip".utf8), maxOutput: 1000) }
        #expect(throws: Gzip.Error.self) { try Gzip.decompress(Array(bomb.prefix(bomb.count / 2)), maxOutput: 1 << 21) }
    }

    @Test func sha256KnownVectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals("token-abc", "token-abc"))
        #expect(!ConstantTime.equals("token-abc", "token-abd"))
        #expect(!ConstantTime.equals("short", "longer"))
        #expect(ConstantTime.equals("", ""))
    }

    @Test func randomBytesDiffer() {
        let a = SecureRandom.bytes(16), b = SecureRandom.bytes(16)
        #expect(a.count == 16 && a != b)
        #expect(SecureRandom.hex(8).count == 16)
    }
}

@Suite struct SecureRandomCacheTests {
    @Test func cachedBytesNeverRepeatAcrossRefills() {
        var seen = Set<[UInt8]>()
        for _ in 0..<2000 { seen.insert(SecureRandom.bytes(16)) } // spans several 4 KiB refills
        #expect(seen.count == 2000)
    }

    @Test func threadsGetIndependentStreams() async {
        let results = await withTaskGroup(of: [[UInt8]].self) { group in
            for _ in 0..<4 { group.addTask { (0..<300).map { _ in SecureRandom.bytes(16) } } }
            var all: [[UInt8]] = []
            for await r in group { all += r }
            return all
        }
        #expect(Set(results).count == results.count)
    }
}
