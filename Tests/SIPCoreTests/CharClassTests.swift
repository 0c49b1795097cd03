import Testing
@testable import SIPCore

/// The per-byte class table against the RFC 3261 ABNF (§25.1), written
/// out here as character sets so that a wrong table entry cannot agree
/// with itself.
@Suite struct CharClassTests {
    static let alnum = Set((UInt8(ascii: "0")...UInt8(ascii: "9")).map { $0 } + (UInt8(ascii: "A")...UInt8(ascii: "Z")).map { $0 } + (UInt8(ascii: "a")...UInt8(ascii: "z")).map { $0 })
    static let token = alnum.union("-.!%*_+`'~".utf8)
    static let parameterValue = token.union(":[]".utf8)
    /// Visible ASCII (0x21-0x7E) but the name-addr delimiters.
    static let uri = Set((UInt8(0x21)...UInt8(0x7E)).map { $0 }).subtracting("\"<>".utf8)
    static let host = alnum.union("-.".utf8)

    @Test func everyByteHasTheClassesOfTheGrammar() {
        for b in 0...255 {
            let c = UInt8(b)
            #expect(CharClass.isToken(c) == Self.token.contains(c), "token 0x\(String(b, radix: 16))")
            #expect(CharClass.isParameterValue(c) == Self.parameterValue.contains(c), "param value 0x\(String(b, radix: 16))")
            #expect(CharClass.isURIChar(c) == Self.uri.contains(c), "URI 0x\(String(b, radix: 16))")
            #expect(CharClass.has(c, CharClass.hostBit) == Self.host.contains(c), "host 0x\(String(b, radix: 16))")
            let plain = Self.uri.contains(c) && !"%[?@".utf8.contains(c)
            #expect(CharClass.has(c, CharClass.plainURIBit) == plain, "plain URI 0x\(String(b, radix: 16))")
        }
    }

    /// Both run scans end where a byte-by-byte walk ends: for every class,
    /// every start, and runs that end at each place of a four-byte step
    /// or at the buffer's end.
    @Test func runScansEndWhereTheRunEnds() {
        let bits = [CharClass.tokenBit, CharClass.parameterValueBit, CharClass.uriBit, CharClass.hostBit, CharClass.plainURIBit]
        var rng = SystemRandomNumberGenerator()
        // Mostly class bytes, with a delimiter now and then, so runs have every length.
        let alphabet = Array("abcXYZ019-.!%:[]@;=\" \t<>?,/\r\n".utf8) + [0x00, 0x7F, 0x80, 0xFF]
        for round in 0..<400 {
            let n = round % 40
            let bytes = (0..<n).map { _ in Int.random(in: 0..<10, using: &rng) < 8 ? UInt8(ascii: "a") : alphabet.randomElement(using: &rng)! }
            bytes.withUnsafeBufferPointer { p in
                for bit in bits {
                    for start in 0...n {
                        var walk = start
                        while walk < n, CharClass.has(p[walk], bit) { walk += 1 }
                        #expect(CharClass.runEnd(p, from: start, bit) == walk, "runEnd \(bytes) from \(start) bit \(bit)")
                        #expect(CharClass.shortRunEnd(p, from: start, bit) == walk, "shortRunEnd \(bytes) from \(start) bit \(bit)")
                    }
                }
            }
        }
    }
}
