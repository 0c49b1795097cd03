import Testing
@testable import SIPCore

/// The REFER subscription value: what is called, with which headers, and the NOTIFYs it produces.
@Suite struct ReferSubscriptionTests {
    static let contact = SIPURI(user: "7001", host: "127.0.0.1", port: 5090)

    static func refer(_ referTo: [String], extra: [(String, String)] = []) -> SIPMessage {
        let h = referTo.map { ("Refer-To", $0) } + extra
        return CallMachineTests.request(.refer, cseq: 1, extra: h)
    }

    static func make(_ m: SIPMessage) throws(SIPParseError) -> ReferSubscription {
        try ReferSubscription(m, localTag: "t1", contact: contact, userAgent: "ua", random: .seeded(1))
    }

    @Test func targetAndEmbeddedHeaders() throws {
        let r = Self.refer(["<sip:5000@ss.example;user=phone?X-Genesys-CallUUID=AB%20CD&Call-ID=evil&Replaces=x%40y>"],
                           extra: [("Referred-By", "<sip:sipserver@192.0.2.10>")])
        var s = try Self.make(r)
        #expect(s.target.description == "sip:5000@ss.example;user=phone")
        #expect(s.inviteHeaders.map { "\($0.0): \($0.1)" } == ["X-Genesys-CallUUID: AB CD", "Referred-By: <sip:sipserver@192.0.2.10>"])
        let ok = s.accepted(r)
        #expect(ok.statusCode == 202 && ok.to?.tag == "t1" && ok.headers[.contact] != nil)
        let first = s.notify(100, "Trying", branch: "z9hG4bK-n1")
        let n1 = try #require(first)
        #expect(n1.method == .notify && n1.headers[.event] == "refer" && n1.to?.tag == "ss1" && n1.from?.tag == "t1")
        #expect(n1.headers[SIPHeaderName("Subscription-State")] == "active;expires=60" && String(decoding: n1.body, as: UTF8.self) == "SIP/2.0 100 Trying\r\n")
        let second = s.notify(486, "Busy Here", branch: "z9hG4bK-n2")
        let n2 = try #require(second)
        let (c1, c2) = (try n1.cseq.number, try n2.cseq.number)
        #expect(n2.headers[SIPHeaderName("Subscription-State")]?.hasPrefix("terminated") == true && c2 == c1 + 1)
        let third = s.notify(200, "OK", branch: "z9hG4bK-n3")
        #expect(s.terminated && third == nil)
    }

    @Test func norefersubMeansNoNotify() throws {
        var s = try Self.make(Self.refer(["<sip:5000@192.0.2.20>"], extra: [("Refer-Sub", "false")]))
        #expect(s.accepted(Self.refer(["<sip:5000@192.0.2.20>"])).headers[SIPHeaderName("Refer-Sub")] == "false")
        let n = s.notify(100, "Trying", branch: "z9hG4bK-1")
        #expect(n == nil)
    }

    @Test func unusableReferToIsRefused() {
        #expect(throws: SIPParseError.self) { try Self.make(Self.refer([])) }
        #expect(throws: SIPParseError.self) { try Self.make(Self.refer(["<sip:a@b>", "<sip:c@d>"])) }
        #expect(throws: SIPParseError.self) { try Self.make(Self.refer(["not a uri <<"])) }
        do {
            _ = try Self.make(Self.refer(["<tel:+15551234>"]))
            Issue.record("a tel: target was accepted")
        } catch {
            #expect(error.code == .badURI)
        }
    }
}
