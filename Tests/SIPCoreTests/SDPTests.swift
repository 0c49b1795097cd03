import Testing
@testable import SIPCore

/// SDP as a value: parse, typed views, serialize, hostile input.
@Suite struct SDPParserTests {
    static let genesysOffer = """
    v=0\r
    o=GVP 1732000000 1 IN IP4 192.0.2.10\r
    s=Genesys\r
    c=IN IP4 192.0.2.10\r
    t=0 0\r
    m=audio 40000 RTP/AVP 0 8 96 101\r
    a=rtpmap:96 opus/48000/2\r
    a=fmtp:96 useinbandfec=1; maxaveragebitrate=32000\r
    a=rtpmap:101 telephone-event/8000\r
    a=fmtp:101 0-15\r
    a=ptime:20\r
    a=sendrecv\r
    m=video 0 RTP/AVP 97\r
    a=rtpmap:97 H264/90000\r

    """

    @Test func parsesAndReadsTypedViews() throws {
        let sd = try SessionDescription(parsing: Self.genesysOffer)
        #expect(sd.origin.sessionID == 1_732_000_000 && sd.origin.sessionVersion == 1)
        #expect(sd.connection == SDPAddress(.ipv4, "192.0.2.10"))
        #expect(sd.media.count == 2)
        let a = sd.media[0]
        #expect(a.port == 40000 && a.formats == ["0", "8", "96", "101"])
        #expect(a.rtpMap(for: 0) == RTPMap(payloadType: 0, encoding: "PCMU", clockRate: 8000))
        #expect(a.rtpMap(for: 96)?.description == "opus/48000/2")
        #expect(a.fmtp(for: 96) == "useinbandfec=1; maxaveragebitrate=32000")
        #expect(a.ptime == 20 && a.direction() == .sendrecv && !a.rtcpMux)
        #expect(sd.media[1].port == 0)
    }

    @Test func roundTripKeepsEverything() throws {
        let sd = try SessionDescription(parsing: Self.genesysOffer)
        let again = try SessionDescription(parsing: sd.serialized)
        #expect(again == sd)
        #expect(sd.serialized.hasPrefix("v=0\r\no=GVP 1732000000 1 IN IP4 192.0.2.10\r\ns=Genesys\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"))
    }

    @Test func bareLFAndMissingTimingAreAccepted() throws {
        let sd = try SessionDescription(parsing: "v=0\no=- 1 1 IN IP6 2001:db8::1\ns=-\nm=audio 5004 RTP/AVP 8\nc=IN IP6 2001:db8::1\na=inactive\n")
        #expect(sd.media[0].connection?.family == .ipv6)
        #expect(sd.media[0].direction() == .inactive)
    }

    @Test(arguments: [
        ("", SDPError.Code.syntax, "empty"),
        ("o=- 1 1 IN IP4 1.2.3.4\r\n", .syntax, "first line must be v=0"),
        ("v=0\r\ns=-\r\n", .syntax, "no o= line"),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n", .syntax, "no s= line"),
        ("v=0\r\no=- x 1 IN IP4 1.2.3.4\r\ns=-\r\n", .badValue, "must be numbers"),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 99999 RTP/AVP 0\r\n", .badValue, "port"),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 5000 RTP/AVP\r\n", .badValue, "at least one format"),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP9 1.2.3.4\r\n", .badValue, "IP4 or IP6"),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nhello\r\n", .syntax, "<letter>=<value>"),
        ("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=now 0\r\n", .badValue, "two numbers"),
    ])
    func malformedBodiesNameTheProblem(_ body: String, _ code: SDPError.Code, _ words: String) {
        #expect {
            try SessionDescription(parsing: body)
        } throws: { e in
            guard let e = e as? SDPError else { return false }
            return e.code == code && e.description.contains(words) && e.sipStatus == 400
        }
    }

    @Test func limitsBoundHostileCounts() {
        var body = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n"
        for i in 0..<20 { body += "m=audio \(5000 + i * 2) RTP/AVP 0\r\n" }
        #expect(throws: SDPError.self) { try SessionDescription(parsing: body) }
        let formats = (0..<100).map(String.init).joined(separator: " ")
        #expect(throws: SDPError.self) { try SessionDescription(parsing: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 5000 RTP/AVP \(formats)\r\n") }
        let attrs = String(repeating: "a=x\r\n", count: 200)
        #expect(throws: SDPError.self) { try SessionDescription(parsing: "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 5000 RTP/AVP 0\r\n" + attrs) }
        #expect(throws: SDPError.self) { try SessionDescription(parsing: String(repeating: "a", count: 20_000)) }
    }

    @Test func directionAlgebra() {
        #expect(MediaDirection.sendonly.reversed == .recvonly)
        #expect(MediaDirection.inactive.reversed == .inactive)
        #expect(MediaDirection.sendrecv.intersection(.sendonly) == .sendonly)
        #expect(MediaDirection.recvonly.intersection(.sendonly) == .inactive)
    }
}

/// RFC 4568 SDES attributes.
@Suite struct SDESCryptoTests {
    @Test func parsesAndWritesRFC4568Example() throws {
        // RFC 4568 §4's example key.
        let c = try SDESCrypto(parsing: "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32")
        #expect(c.tag == 1 && c.suite == .aesCM128HmacSha1_80)
        #expect(c.keyMaterial.count == 30)
        #expect(c.lifetime == "2^20" && c.mki == "1:32")
        #expect(c.attributeValue == "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32")
        #expect(!c.description.contains("PS1u"))
    }

    @Test func tracesNeverShowKeys() throws {
        var h = SIPHeaders()
        h.append(.via, "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1")
        h.append(.cseq, "1 INVITE")
        let sdp = "v=0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32\r\na=crypto:2 AEAD_AES_128_GCM inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldY\r\n"
        let trace = SIPTrace.redacted(.request(.invite, uri: try SIPURI("sip:a@b"), headers: h, body: Array(sdp.utf8)))
        #expect(!trace.contains("PS1uQCV") && !trace.contains("QUJDREVG"))
        #expect(trace.contains("inline:<redacted>|2^20|1:32") && trace.contains("AEAD_AES_128_GCM inline:<redacted>"))
    }

    @Test func wrongKeyLengthsAndBadBase64AreRefused() {
        #expect(throws: SDPError.self) { try SDESCrypto(parsing: "1 AES_CM_128_HMAC_SHA1_80 inline:AAAA") }
        #expect(throws: SDPError.self) { try SDESCrypto(parsing: "1 AES_CM_128_HMAC_SHA1_80 inline:!!!!") }
        #expect(throws: SDPError.self) { try SDESCrypto(parsing: "x AES_CM_128_HMAC_SHA1_80 inline:AAAA") }
        #expect(throws: SDPError.self) { try SDESCrypto(parsing: "1 AES_CM_128_HMAC_SHA1_80 key:AAAA") }
        // An unknown suite parses (so it can be skipped), with any key length.
        #expect((try? SDESCrypto(parsing: "2 F8_128_HMAC_SHA1_80 inline:AAAA"))?.suite == nil)
    }

    @Test func base64RoundTripsEveryLength() {
        let rng = RandomSource.seeded(7)
        for n in 0..<70 {
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if n == 0 { #expect(Base64.decode(Base64.encode(bytes)) == nil); continue }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.encode(Array("fo".utf8)) == "Zm8=")
        #expect(Base64.decode("Zm=v") == nil)
    }
}
