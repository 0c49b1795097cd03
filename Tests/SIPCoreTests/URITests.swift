import Testing
@testable import SIPCore

@Suite struct URITests {
    @Test func fullSIPURI() throws {
        let u = try SIPURI("sips:alice:pw@Example.COM:5061;transport=tls;lr;maddr=10.0.0.1?subject=hi&priority=urgent")
        #expect(u.scheme == .sips)
        #expect(u.user == "alice")
        #expect(u.password == "pw")
        #expect(u.host == "Example.COM")
        #expect(u.port == 5061)
        #expect(u.transportParameter == "tls")
        #expect(u.parameters["lr"] == .some(nil))
        #expect(u.parameters["maddr"] == .some("10.0.0.1"))
        #expect(u.headers.map(\.name) == ["subject", "priority"])
        #expect(try SIPURI(u.description) == u)
    }

    @Test func ipv6References() throws {
        let u = try SIPURI("sip:user@[2001:db8::10]:5070")
        #expect(u.host == "2001:db8::10")
        #expect(u.port == 5070)
        #expect(u.description == "sip:user@[2001:db8::10]:5070")
        let ambiguous = try SIPURI("sip:[2001:db8::10:5070]")
        #expect(ambiguous.host == "2001:db8::10:5070")
        #expect(ambiguous.port == nil)
        let mapped = try SIPURI("sip:[::ffff:192.0.2.10]:19823")
        #expect(mapped.port == 19823)
        #expect(try SIPURI("sip:[2001:db8:::192.0.2.1]").host == "2001:db8::c000:201")
        #expect(throws: SIPParseError.self) { try SIPURI("sip:2001:db8::10") }
        #expect(throws: SIPParseError.self) { try SIPURI("sip:[2001:db8::10") }
        #expect(throws: SIPParseError.self) { try SIPURI("sip:[zz::1]") }
    }

    @Test func escapesDecodeOnceAndReencode() throws {
        let u = try SIPURI("sip:sips%3Auser%40example.com@example.net;n%61me=v%61lue%25%34%31")
        #expect(u.user == "sips:user@example.com")
        #expect(u.parameters["name"] == .some("value%41"))
        let again = try SIPURI(u.description)
        #expect(again == u)
        let nul = try SIPURI("sip:%00%00@example.com")
        #expect(nul.user?.utf8.count == 2)
        #expect(throws: SIPParseError.self) { try SIPURI("sip:bad%zzescape@h") }
        #expect(throws: SIPParseError.self) { try SIPURI("sip:trunc%4@h") }
    }

    @Test func semicolonInUserPart() throws {
        let u = try SIPURI("sip:user;par=u%40example.net@example.com")
        #expect(u.user == "user;par=u@example.net")
        #expect(u.host == "example.com")
        #expect(u.parameters.isEmpty)
    }

    @Test func telAndOpaqueSchemes() throws {
        let t = try SIPURI("tel:+1-201-555-0123;phone-context=example.com")
        #expect(t.scheme == .tel)
        #expect(t.user == "+1-201-555-0123")
        #expect(t.parameters["phone-context"] == .some("example.com"))
        #expect(try SIPURI(t.description) == t)
        let o = try SIPURI("soap.beep://192.0.2.103:3002")
        #expect(o.scheme == .other("soap.beep"))
        #expect(o.description == "soap.beep://192.0.2.103:3002")
    }

    @Test(arguments: ["", "sip:", "nocolon", "1sip:a", "sip:user@", "sip:@host", "sip:h:99999", "sip:h:12a",
                      "sip:h;", "sip:h;;x", "sip:h?", "sip:h?a=1&", "sip:a b@h", "sip:<h>", "sip:h\u{7F}"])
    func rejectsBadURIs(_ text: String) {
        #expect(throws: SIPParseError.self) { try SIPURI(text) }
    }

    @Test func parametersCaseInsensitiveLookup() {
        var p = SIPParameters()
        p.set("Transport", "TCP")
        #expect(p["transport"] == .some("TCP"))
        p.set("lr", nil)
        #expect(p.contains("LR"))
        p.remove("TRANSPORT")
        #expect(!p.contains("transport"))
    }
}

/// Parsed parameters are read from the message's bytes on access: what a
/// lookup, a walk, a change and a comparison give must be what a list
/// built by hand gives.
@Suite struct ParsedParameterTests {
    @Test func headerParametersReadInPlace() throws {
        let a = try SIPNameAddress(parsing: "<sip:a@example.com>  ; TAG = x1 ;lr; +sip.instance=\"<urn:uuid:1;\\\"2>\" ;maddr=[2001:db8::1]")
        #expect(a.tag == "x1")
        #expect(a.parameters["lr"] == .some(nil))
        #expect(a.parameters["+SIP.INSTANCE"] == .some("\"<urn:uuid:1;\\\"2>\""))
        #expect(a.parameters["maddr"] == .some("[2001:db8::1]"))
        #expect(a.parameters["missing"] == nil)
        #expect(a.parameters.items.map(\.name) == ["TAG", "lr", "+sip.instance", "maddr"])
        let built = SIPParameters([.init(name: "TAG", value: "x1"), .init(name: "lr", value: nil),
                                   .init(name: "+sip.instance", value: "\"<urn:uuid:1;\\\"2>\""), .init(name: "maddr", value: "[2001:db8::1]")])
        #expect(a.parameters == built && a.parameters.hashValue == built.hashValue)
        var changed = a.parameters
        changed.set("tag", "y2")
        changed.remove("lr")
        #expect(changed.items.map(\.name) == ["TAG", "+sip.instance", "maddr"] && changed["tag"] == .some("y2"))
        #expect(a.tag == "x1", "the parsed value is unchanged by a change to a copy")
        #expect(a.description == "<sip:a@example.com>;TAG=x1;lr;+sip.instance=\"<urn:uuid:1;\\\"2>\";maddr=[2001:db8::1]")
    }

    @Test func uriParametersAreDecodedWhenRead() throws {
        var u = try SIPURI("sip:alice@example.com;transport=TCP;x%41y=a%20b;lr?subject=hi")
        #expect(u.parameters["transport"] == .some("TCP") && u.transportParameter == "tcp")
        #expect(u.parameters["xay"] == .some("a b"), "names and values %-decoded, names case-insensitive")
        #expect(u.parameters["lr"] == .some(nil))
        #expect(u.parameters.items.map(\.name) == ["transport", "xAy", "lr"])
        #expect(u.headers.map(\.name) == ["subject"])
        let copy = u
        u.parameters.set("transport", "udp")
        #expect(u.parameters["transport"] == .some("udp") && copy.parameters["transport"] == .some("TCP"))
        #expect(copy == (try SIPURI(copy.description)))
        #expect(throws: SIPParseError.self) { try SIPURI("sip:a@example.com;x=%4") }
        #expect(throws: SIPParseError.self) { try SIPURI("sip:a@example.com;%zz=1") }
    }

    /// The one-pass check of the usual URI may only accept what the full
    /// grammar accepts: checked on common forms and on 30,000 mutations
    /// of them (bytes replaced by the characters that change the grammar).
    @Test func theOnePassCheckAcceptsOnlyWhatTheFullParseAccepts() {
        let seeds = ["sip:7001@sip.example.com", "sips:alice:pw@example.com:5061;transport=tls;lr",
                     "sip:192.0.2.10:5060;transport=udp", "SIP:agent@host-1.example.net;user=phone;maddr=10.0.0.1",
                     "sip:a@b;x=a@c", "sip:user@[2001:db8::1]:5070", "sip:%61lice@example.com", "sip:bob@example.com?subject=hi",
                     "tel:+15551234567", "sip:host:65535", "sip:host:65536", "sip:@host", "sip:host;;lr", "sip:host;=x"]
        for s in seeds.prefix(5) {
            #expect(Array(s.utf8).withUnsafeBufferPointer { URIParser.isPlainSIP($0) }, "\(s) takes the one-pass check")
        }
        var accepted = 0
        for b in GrammarMutations.of(seeds, count: 2_000, seed: 11) where b.withUnsafeBufferPointer({ URIParser.isPlainSIP($0) }) {
            accepted += 1
            #expect((try? URIParser.parse(b[...], base: 0)) != nil, "one-pass check accepted '\(String(decoding: b, as: UTF8.self))'")
        }
        #expect(accepted > 1_000)
    }
}
