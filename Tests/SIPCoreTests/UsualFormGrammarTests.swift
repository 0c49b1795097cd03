import Testing
@testable import SIPCore

/// The one-pass forms of Via and name-addr may only take what the full
/// grammar takes, and must make the same value of it: checked on real
/// values and on mutations of them (bytes replaced, inserted, removed,
/// from the characters that change the grammar).
@Suite struct UsualFormGrammarTests {
    /// Calls `body` with every input the one-pass form takes; returns how many.
    static func forEachTaken(_ inputs: [[UInt8]], by usual: (UnsafeBufferPointer<UInt8>) -> Bool, _ body: ([UInt8], String) -> Void) -> Int {
        var taken = 0
        for b in inputs where b.withUnsafeBufferPointer(usual) {
            taken += 1
            body(b, String(decoding: b, as: UTF8.self))
        }
        return taken
    }

    @Test func viaTakesOnlyWhatTheFullGrammarTakes() throws {
        let seeds = ["SIP/2.0/UDP 192.0.2.10:5060;rport=5060;received=192.0.2.10;branch=z9hG4bK.4f3a9c2e1b7d",
                     "SIP/2.0/TLS proxy.example.com;branch=z9hG4bK77;alias", "sip/2.0/tcp host:65535 ;lr ; x=\"a;b\"",
                     "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKx", "SIP / 2.0 / UDP host;branch=z9hG4bKy"]
        let taken = Self.forEachTaken(GrammarMutations.of(seeds, count: 3_000, seed: 5), by: { UsualFormGrammar.via($0) != nil }) { b, text in
            let full = try? SIPVia.parseInFull(b[...], base: 0, build: true)
            #expect(full != nil, "one-pass Via took '\(text)'")
            if let full { #expect((try? SIPVia(bytes: b[...], base: 0)) == full, "'\(text)'") }
        }
        #expect(taken > 2_000)
        #expect(try SIPVia(parsing: seeds[0]).branch == "z9hG4bK.4f3a9c2e1b7d")
        #expect(try SIPVia(parsing: seeds[2]).transport == "TCP")
    }

    @Test func nameAddressTakesOnlyWhatTheFullGrammarTakes() throws {
        let seeds = ["<sip:7001@sip.example.com>;tag=8d1f2a9c", "\"Agent 7001\" <sips:7001@example.com:5061;transport=tls>;tag=x;expires=60",
                     "<sip:7001@192.0.2.10:5060;transport=udp>;expires=3600;+sip.instance=\"<urn:uuid:1b4f0c7e-2d3a-4e5f>\"",
                     "Bob <sip:bob@example.com>", "sip:alice@example.com;tag=1", "\"a\\\"b\" <sip:x@y>", "<tel:+15551234567>;tag=z"]
        let taken = Self.forEachTaken(GrammarMutations.of(seeds, count: 3_000, seed: 6), by: { UsualFormGrammar.nameAddress($0) != nil }) { b, text in
            let full = try? SIPNameAddress.parseInFull(b[...], header: "To", base: 0, build: true)
            #expect(full != nil, "one-pass name-addr took '\(text)'")
            if let full, let fast = try? SIPNameAddress(bytes: b[...], header: "To", base: 0) {
                #expect(fast == full, "'\(text)'")
                #expect(fast.displayName == full.displayName && fast.tag == full.tag && fast.uri.description == full.uri.description, "'\(text)'")
            } else {
                #expect(full == nil, "'\(text)'")
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
    /// The wanted names are written as words: each must spell its name,
    /// and match it in any case, and nothing else, near the end of a
    /// buffer too (where the bytes are compared one by one).
    @Test func wantedNamesSpellTheirNames() {
        for (wanted, name) in [(GenericParameterGrammar.Wanted.branch, "branch"), (.tag, "tag"), (.expires, "expires")] {
            var word: UInt64 = 0
            for (j, b) in name.utf8.enumerated() { word |= UInt64(b) << (8 * UInt64(j)) }
            #expect(wanted.word == word && wanted.count == name.utf8.count, "\(name)")
            for (text, expected) in [(name, true), (name.uppercased(), true), (String(name.dropLast()), false), (name + "s", false),
                                     (String(name.dropLast()) + "@", false), (String(name.dropLast()) + "_", false)] {
                for tail in ["=1;more=padding-padding", ""] {
                    let bytes = Array((text + tail).utf8)
                    let got = bytes.withUnsafeBufferPointer { wanted.matches($0, 0..<text.utf8.count) }
                    #expect(got == expected, "\(text) against \(name), tail '\(tail)'")
                }
            }
        }
    }

    @Test func parameterLookupFindsWhatTheGrammarFinds() {
        let seeds = [";rport=5060;received=192.0.2.10;branch=z9hG4bK.4f3a9c2e1b7d", " ; TAG = x1 ;lr; maddr=[2001:db8::1]",
                     ";expires=3600;+sip.instance=\"<urn:uuid:1;2>\";q=0.5", ";a;b=;c=d"]
        var compared = 0
        for b in GrammarMutations.of(seeds, count: 2_000, seed: 7) {
            b.withUnsafeBufferPointer { p in
                var i = 0
                guard UsualFormGrammar.parametersToEnd(p, &i) == true else { return }
                var names: [[UInt8]] = [Array("nothere".utf8)]
                i = 0
                while case .parameter(let name, _) = GenericParameterGrammar.next(p, &i) { names.append(Array(p[name])) }
                for name in names {
                    name.withUnsafeBufferPointer { key in
                        #expect(GenericParameterGrammar.lookupRange(p, key) == GenericParameterGrammar.lookupByGrammar(p, key),
                                "'\(String(decoding: name, as: UTF8.self))' in '\(String(decoding: p, as: UTF8.self))'")
                    }
                    compared += 1
                }
            }
        }
        #expect(compared > 5_000)
    }
}
