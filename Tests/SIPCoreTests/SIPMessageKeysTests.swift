import Testing
import TortureCorpus
@testable import SIPCore

/// `SIPMessage.keys()` against the typed values: whatever the keys say,
/// the values (read by the full grammar) say the same.
@Suite struct SIPMessageKeysTests {
    /// Compares every key with the typed value it stands for; returns how
    /// many messages had keys.
    @discardableResult
    static func expectKeysMatchValues(_ m: SIPMessage, _ what: String) -> Bool {
        let keys: SIPMessageKeys
        do {
            keys = try m.keys()
        } catch {
            #expect(throws: SIPParseError.self, "\(what): keys() throws, so must validate()") { try m.validate() }
            return false
        }
        guard let vias = try? m.vias, let cseq = try? m.cseq, let from = m.from, let to = m.to else {
            Issue.record("\(what): keys() accepted what the typed values do not read")
            return false
        }
        #expect(keys.viaCount == vias.count, "\(what): Via count")
        #expect(keys.topVia.branch.map(m.text) == vias[0].branch, "\(what): branch")
        #expect(keys.topVia.port == vias[0].port, "\(what): port")
        #expect(m.text(keys.topVia.transport).uppercased() == vias[0].transport, "\(what): transport")
        let host = m.text(keys.topVia.host)
        if !host.hasPrefix("[") { #expect(host == vias[0].host, "\(what): host") }
        #expect(keys.from.tag.map(m.text) == from.tag, "\(what): From tag")
        #expect(keys.to.tag.map(m.text) == to.tag, "\(what): To tag")
        #expect((try? SIPURI(m.text(keys.from.uri))) == from.uri, "\(what): From URI")
        #expect(m.text(keys.callID) == m.callID, "\(what): Call-ID")
        #expect(m.bytes(keys.callID, equal: m.callID ?? ""), "\(what): Call-ID compared in place")
        #expect(keys.cseq.number == cseq.number && m.text(keys.cseq.method) == cseq.method.rawValue, "\(what): CSeq")
        let contacts = m.contacts
        #expect(keys.contactCount == contacts.count, "\(what): Contact count")
        if let first = contacts.first {
            #expect(keys.contact.map { try? SIPURI(m.text($0.uri)) } == first.address.map(\.uri), "\(what): Contact URI")
            // A number of digits only, as the Expires header is read.
            let expires = first.address.flatMap { $0.parameters["expires"] ?? nil }
                .flatMap { CharClass.number(Array($0.utf8)) }.flatMap { $0 <= UInt64(UInt32.max) ? UInt32($0) : nil }
            #expect(keys.contactExpires == expires, "\(what): Contact expires")
        }
        #expect(keys.expires == m.expires, "\(what): Expires")
        #expect(keys.maxForwards.map(Int.init) == m.maxForwards, "\(what): Max-Forwards")
        return true
    }

    @Test func theTortureCorpusKeysMatchTheTypedValues() throws {
        guard TortureCorpus.directory != nil else {
            print("SKIP: ../shared/conformance/sip-torture is not beside the checkout")
            return
        }
        var keyed = 0
        for c in TortureCorpus.cases {
            guard let m = try? SIPMessage.parse(try TortureCorpus.bytes(c)) else { continue }
            if Self.expectKeysMatchValues(m, c.file) { keyed += 1 }
        }
        #expect(keyed >= 20)
    }

    static let response = """
        SIP/2.0 200 OK\r
        Via: SIP/2.0/UDP 192.0.2.10:5060;rport=5060;received=192.0.2.10;branch=z9hG4bK.4f3a9c2e1b7d\r
        Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKp1\r
        From: "Agent 7001" <sip:7001@sip.example.com>;tag=8d1f2a9c\r
        To: <sip:7001@sip.example.com>;tag=a6c85cf\r
        Call-ID: 5b9e2f64-3c1d-4a8e-9f0b-7d2c6e1a3b45\r
        CSeq: 2 REGISTER\r
        Contact: <sip:7001@192.0.2.10:5060;transport=udp>;expires=3600;+sip.instance="<urn:uuid:1b4f0c7e-2d3a-4e5f-8a9b-0c1d2e3f4a5b>"\r
        Expires: 3600\r
        Content-Length: 0\r
        \r

        """

    @Test func theUsualFormsAreRead() throws {
        let m = try SIPMessage.parse(Self.response)
        let k = try m.keys()
        #expect(k.viaCount == 2)
        #expect(k.topVia.branch.map(m.text) == "z9hG4bK.4f3a9c2e1b7d")
        #expect(m.text(k.topVia.host) == "192.0.2.10" && k.topVia.port == 5060 && m.text(k.topVia.transport) == "UDP")
        #expect(k.from.tag.map(m.text) == "8d1f2a9c" && k.to.tag.map(m.text) == "a6c85cf")
        #expect(m.bytes(k.from.uri, equal: "sip:7001@sip.example.com"))
        #expect(!m.bytes(k.from.uri, equal: "sip:7001@sip.example.co"))
        #expect(k.cseq.number == 2 && m.bytes(k.cseq.method, equal: "REGISTER"))
        #expect(k.contactCount == 1 && k.contactExpires == 3600 && k.expires == 3600 && k.contact?.tag == nil)
        Self.expectKeysMatchValues(m, "usual forms")
    }

    /// Forms the one-pass grammar leaves to the full one: LWS inside Via,
    /// an IPv6 sent-by, a Via and a Contact list on one line, a token
    /// display name, an addr-spec, a quoted ';' before the tag, `*`.
    @Test func theOtherFormsAreReadByTheFullGrammar() throws {
        let text = """
            REGISTER sip:example.com SIP/2.0\r
            Via: SIP / 2.0 / tcp [2001:db8::9]:5061 ;branch = z9hG4bKv6 , SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK2\r
            Max-Forwards: 70\r
            From: Agent Seven <sip:7001@example.com;user=phone>;x="a;tag=wrong";tag=right\r
            To: sip:7001@example.com\r
            Call-ID: abc@192.0.2.1\r
            CSeq: 9 REGISTER\r
            Contact: <sip:a@192.0.2.1>;expires=60, <sip:b@192.0.2.1>\r
            Content-Length: 0\r
            \r

            """
        let m = try SIPMessage.parse(text)
        let k = try m.keys()
        #expect(k.viaCount == 2)
        #expect(k.topVia.branch.map(m.text) == "z9hG4bKv6")
        #expect(m.text(k.topVia.host) == "[2001:db8::9]" && k.topVia.port == 5061 && m.text(k.topVia.transport) == "tcp")
        #expect(k.from.tag.map(m.text) == "right")
        #expect(k.to.tag == nil && m.text(k.to.uri) == "sip:7001@example.com")
        #expect(k.contactCount == 2 && k.contactExpires == 60 && k.maxForwards == 70)
        Self.expectKeysMatchValues(m, "other forms")

        let wildcard = try SIPMessage.parse(text.replacingOccurrences(of: "Contact: <sip:a@192.0.2.1>;expires=60, <sip:b@192.0.2.1>", with: "Contact: *\r\nExpires: 0"))
        let w = try wildcard.keys()
        #expect(w.contactCount == 1 && w.contact == nil && w.expires == 0)
    }

    /// Seeded mutations of a whole response (bytes replaced, inserted and
    /// removed where the grammar turns): the keys of every one that
    /// validates match its typed values, and keys() throws exactly when
    /// validate() does (it is the same pass).
    @Test func mutatedMessagesKeysMatchTheTypedValues() {
        var keyed = 0, parsed = 0
        // 1,000 (about a second of CPU in a debug build): the suite runs
        // beside the call-audio tests, whose speech pumps need the cores;
        // FuzzSIP holds the keys to the same values over far more inputs.
        for b in GrammarMutations.of([Self.response], count: 1_000, seed: 11) {
            guard let m = try? SIPMessage.parse(b) else { continue }
            parsed += 1
            if Self.expectKeysMatchValues(m, String(decoding: b, as: UTF8.self)) { keyed += 1 }
        }
        #expect(parsed > 500)
        #expect(keyed > 150)
    }

    /// A range read through a message it does not fit (one from another
    /// message) stops the process, as an array index out of range does,
    /// instead of reading past the bytes.
    @Test func aRangeOfAnotherMessageIsCaughtNotReadPastTheEnd() async {
        await #expect(processExitsWith: .failure) {
            let long = try! SIPMessage.parse(SIPMessageKeysTests.response)
            let short = try! SIPMessage.parse("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n")
            let contact = try! long.keys().contact!.uri
            _ = short.text(contact)
        }
    }

    /// The errors are validate()'s: a fault named, in the fixed order.
    @Test func faultsAreValidationsFaults() throws {
        let bad = try SIPMessage.parse(Self.response.replacingOccurrences(of: "CSeq: 2 REGISTER", with: "CSeq: x REGISTER"))
        #expect(throws: SIPParseError.self) { try bad.keys() }
        let missing = try SIPMessage.parse(Self.response.replacingOccurrences(of: "Call-ID: 5b9e2f64-3c1d-4a8e-9f0b-7d2c6e1a3b45\r\n", with: ""))
        do {
            _ = try missing.keys()
            Issue.record("a response without Call-ID has keys")
        } catch {
            #expect(error.reason.contains("Call-ID"))
        }
    }
}
