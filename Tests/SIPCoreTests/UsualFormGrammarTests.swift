import Testing
@testable import SIPCore

/// The one-pass forms of Via and name-addr may only take what the full
/// grammar takes, and must make the same value of it: checked on real
/// values and on mutations of them (bytes replaced, inserted, removed,
/// from the characters that change the grammar).
@Suite struct UsualFormGrammarTests {
    static let alphabet = Array("@:;=?%[]<>\\\" 0aZ.-9/&,\t".utf8) + [0x00, 0x80, 0xFF]

    /// `count` seeded mutations of `seed` (and the seed itself first).
    static func mutations(of seed: String, count: Int, rng: inout TestRandom) -> [[UInt8]] {
        var out = [Array(seed.utf8)]
        for _ in 0..<count {
            var b = Array(seed.utf8)
            for _ in 0...Int(rng.next() % 3) {
                let at = Int(rng.next() % UInt64(b.count))
                switch rng.next() % 3 {
                case 0: b[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: b.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                default: if b.count > 1 { b.remove(at: at) }
                }
            }
            out.append(b)
        }
        return out
    }

    @Test func viaTakesOnlyWhatTheFullGrammarTakes() throws {
        let seeds = ["SIP/2.0/UDP 192.0.2.10:5060;rport=5060;received=192.0.2.10;branch=z9hG4bK.4f3a9c2e1b7d",
                     "SIP/2.0/TLS proxy.example.com;branch=z9hG4bK77;alias", "sip/2.0/tcp host:65535 ;lr ; x=\"a;b\"",
                     "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKx", "SIP / 2.0 / UDP host;branch=z9hG4bKy"]
        var rng = TestRandom(seed: 5)
        var taken = 0
        for seed in seeds {
            for b in Self.mutations(of: seed, count: 3_000, rng: &rng) {
                let usual = b.withUnsafeBufferPointer { UsualFormGrammar.via($0) != nil }
                guard usual else { continue }
                taken += 1
                let text = String(decoding: b, as: UTF8.self)
                let full = try? SIPVia.parseInFull(b[...], base: 0, build: true)
                #expect(full != nil, "one-pass Via took '\(text)'")
                if let full { #expect(try SIPVia(bytes: b[...], base: 0) == full, "'\(text)'") }
            }
        }
        #expect(taken > 2_000)
        #expect(try SIPVia(parsing: seeds[0]).branch == "z9hG4bK.4f3a9c2e1b7d")
        #expect(try SIPVia(parsing: seeds[2]).transport == "TCP")
    }

    @Test func nameAddressTakesOnlyWhatTheFullGrammarTakes() throws {
        let seeds = ["<sip:7001@sip.example.com>;tag=8d1f2a9c", "\"Agent 7001\" <sips:7001@example.com:5061;transport=tls>;tag=x;expires=60",
                     "<sip:7001@192.0.2.10:5060;transport=udp>;expires=3600;+sip.instance=\"<urn:uuid:1b4f0c7e-2d3a-4e5f>\"",
                     "Bob <sip:bob@example.com>", "sip:alice@example.com;tag=1", "\"a\\\"b\" <sip:x@y>", "<tel:+15551234567>;tag=z"]
        var rng = TestRandom(seed: 6)
        var taken = 0
        for seed in seeds {
            for b in Self.mutations(of: seed, count: 3_000, rng: &rng) {
                let usual = b.withUnsafeBufferPointer { UsualFormGrammar.nameAddress($0) != nil }
                guard usual else { continue }
                taken += 1
                let text = String(decoding: b, as: UTF8.self)
                let full = try? SIPNameAddress.parseInFull(b[...], header: "To", base: 0, build: true)
                #expect(full != nil, "one-pass name-addr took '\(text)'")
                if let full {
                    let fast = try SIPNameAddress(bytes: b[...], header: "To", base: 0)
                    #expect(fast == full, "'\(text)'")
                    #expect(fast.displayName == full.displayName && fast.tag == full.tag && fast.uri.description == full.uri.description, "'\(text)'")
                }
            }
        }
        #expect(taken > 2_000)
        let a = try SIPNameAddress(parsing: seeds[1])
        #expect(a.displayName == "Agent 7001" && a.tag == "x" && a.uri.port == 5061)
    }
}

extension UsualFormGrammarTests {
    /// A lookup in checked parameters skips from ';' to ';' when there is
    /// no quoted string: it must find what the grammar finds, for every
    /// name in the bytes and for one that is not there.
    @Test func parameterLookupFindsWhatTheGrammarFinds() {
        let seeds = [";rport=5060;received=192.0.2.10;branch=z9hG4bK.4f3a9c2e1b7d", " ; TAG = x1 ;lr; maddr=[2001:db8::1]",
                     ";expires=3600;+sip.instance=\"<urn:uuid:1;2>\";q=0.5", ";a;b=;c=d"]
        var rng = TestRandom(seed: 7)
        var compared = 0
        for seed in seeds {
            for b in Self.mutations(of: seed, count: 2_000, rng: &rng) {
                b.withUnsafeBufferPointer { p in
                    var i = 0
                    guard UsualFormGrammar.parametersToEnd(p, &i) == true else { return }
                    var names: [[UInt8]] = [Array("nothere".utf8)]
                    i = 0
                    while case .parameter(let name, _) = GenericParameterGrammar.next(p, &i) { names.append(Array(p[name])) }
                    for name in names {
                        name.withUnsafeBufferPointer { key in
                            #expect(GenericParameterGrammar.lookup(p, key) == GenericParameterGrammar.lookupByGrammar(p, key),
                                    "'\(String(decoding: name, as: UTF8.self))' in '\(String(decoding: p, as: UTF8.self))'")
                        }
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 5_000)
    }
}

/// A small seeded generator (SplitMix64), so a failing mutation is the same on every run.
struct TestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
