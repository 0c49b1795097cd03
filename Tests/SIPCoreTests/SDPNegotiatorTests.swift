import Testing
@testable import SIPCore

/// RFC 3264 offer/answer with the conventions SIP Server uses.
@Suite struct SDPNegotiatorTests {
    static let opus = RTPMap(payloadType: 0, encoding: "opus", clockRate: 48000, channels: 2)
    static let pcma = RTPMap(payloadType: 8, encoding: "PCMA", clockRate: 8000)
    static let pcmu = RTPMap(payloadType: 0, encoding: "PCMU", clockRate: 8000)
    static let keys: [SDESCrypto.Suite: [UInt8]] = Dictionary(uniqueKeysWithValues: SDESCrypto.Suite.allCases.map { s in
        (s, (0..<s.keyMaterialLength).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) })
    })
    static let local = LocalMediaEndpoint(address: SDPAddress(.ipv4, "127.0.0.1"), rtpPort: 20000, keys: keys)
    static let origin = SessionDescription.Origin(username: "sipendpointd", sessionID: 42, sessionVersion: 1, address: SDPAddress(.ipv4, "127.0.0.1"))

    func negotiator(_ srtp: SRTPPolicy = .disabled, codecs: [RTPMap] = [opus, pcma, pcmu]) -> SDPNegotiator {
        SDPNegotiator(capabilities: MediaCapabilities(codecs: codecs, fmtp: ["opus/48000/2": "useinbandfec=1"], srtp: srtp))
    }

    func offer(_ media: String, session: String = "c=IN IP4 192.0.2.10\r\n") throws -> SessionDescription {
        try SessionDescription(parsing: "v=0\r\no=ss 7 1 IN IP4 192.0.2.10\r\ns=-\r\n\(session)t=0 0\r\n\(media)")
    }

    @Test func answersWithOurPreferredCodecUnderTheOfferersPayloadTypes() throws {
        let o = try offer("m=audio 40000 RTP/AVP 0 8 111 100\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 maxplaybackrate=16000\r\na=rtpmap:100 telephone-event/8000\r\nm=video 5000 RTP/AVP 31\r\n")
        let (answer, stream) = try negotiator().answer(o, local: Self.local, origin: Self.origin)
        #expect(stream.codec == RTPMap(payloadType: 111, encoding: "opus", clockRate: 48000, channels: 2))
        #expect(stream.remoteFmtp == "maxplaybackrate=16000")
        #expect(stream.telephoneEventPayloadType == 100)
        #expect(stream.remoteAddress.address == "192.0.2.10" && stream.remoteRTPPort == 40000 && stream.remoteRTCPPort == 40001)
        #expect(stream.direction == .sendrecv && stream.srtp == nil)
        #expect(answer.media.count == 2)
        #expect(answer.media[0].formats == ["111", "100"] && answer.media[0].port == 20000)
        #expect(answer.media[0].fmtp(for: 111) == "useinbandfec=1")
        #expect(answer.media[1].port == 0) // video rejected, stream kept in place
        #expect(try SessionDescription(parsing: answer.serialized) == answer)
    }

    @Test(arguments: [
        ("a=sendonly\r\n", MediaDirection.recvonly), ("a=recvonly\r\n", .sendonly), ("a=inactive\r\n", .inactive), ("", .sendrecv),
    ])
    func directionIsMirrored(_ attr: String, _ expected: MediaDirection) throws {
        let o = try offer("m=audio 40000 RTP/AVP 8\r\n\(attr)")
        let (answer, stream) = try negotiator().answer(o, local: Self.local, origin: Self.origin)
        #expect(stream.direction == expected)
        #expect(answer.media[0].direction() == expected)
    }

    /// SIP Server's hold: c=0.0.0.0 with no direction — accept, stop sending, keep the stream.
    /// RFC 3389 CN/8000 (static 13): offered with 8 kHz codecs, answered
    /// when offered with an 8 kHz codec chosen, never with Opus.
    @Test func comfortNoiseGoesWithNarrowbandCodecs() throws {
        let o = try offer("m=audio 40000 RTP/AVP 8 13 101\r\na=rtpmap:13 CN/8000\r\na=rtpmap:101 telephone-event/8000\r\n")
        let (answer, stream) = try negotiator().answer(o, local: Self.local, origin: Self.origin)
        #expect(stream.codec.encoding == "PCMA" && stream.comfortNoisePayloadType == 13 && stream.telephoneEventPayloadType == 101)
        #expect(answer.media[0].formats == ["8", "13", "101"])
        let wide = try offer("m=audio 40000 RTP/AVP 111 13\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:13 CN/8000\r\n")
        let (wideAnswer, wideStream) = try negotiator().answer(wide, local: Self.local, origin: Self.origin)
        #expect(wideStream.comfortNoisePayloadType == nil && wideAnswer.media[0].formats == ["111"])
        // Our offer lists CN after the codecs; the answer's CN is taken, and never taken for the codec.
        let ours = negotiator().offer(local: Self.local, origin: Self.origin)
        #expect(ours.media[0].formats.suffix(2) == ["13", "101"])
        let reply = try offer("m=audio 41000 RTP/AVP 13 0\r\na=rtpmap:13 CN/8000\r\n")
        let accepted = try negotiator().accept(answer: reply, to: ours, local: Self.local)
        #expect(accepted.codec.encoding == "PCMU" && accepted.comfortNoisePayloadType == 13)
        var noCN = negotiator()
        noCN.capabilities.comfortNoise = false
        #expect(!noCN.offer(local: Self.local, origin: Self.origin).media[0].formats.contains("13"))
    }

    @Test func zeroConnectionAddressIsHold() throws {
        let o = try offer("m=audio 40000 RTP/AVP 8\r\n", session: "c=IN IP4 0.0.0.0\r\n")
        let (answer, stream) = try negotiator().answer(o, local: Self.local, origin: Self.origin)
        #expect(!stream.direction.sends)
        #expect(stream.direction == .recvonly)
        #expect(answer.media[0].port != 0)
    }

    @Test func weHoldWithSendonly() throws {
        let o = try offer("m=audio 40000 RTP/AVP 8\r\n")
        let (_, stream) = try negotiator().answer(o, local: Self.local, origin: Self.origin, localDirection: .sendonly)
        #expect(stream.direction == .sendonly)
    }

    @Test func noCommonCodecIs488WithTheReason() throws {
        let o = try offer("m=audio 40000 RTP/AVP 18 4\r\n")
        #expect {
            try negotiator().answer(o, local: Self.local, origin: Self.origin)
        } throws: { e in
            let e = e as! SDPError
            return e.sipStatus == 488 && e.reason.contains("no common codec") && e.reason.contains("G729/8000")
        }
        #expect(throws: SDPError.self) { try negotiator().answer(try offer("m=audio 40000 RTP/AVP 8\r\n", session: ""), local: Self.local, origin: Self.origin) }
    }

    @Test func srtpPolicies() throws {
        let key = Base64.encode((0..<30).map { UInt8($0) })
        let savp = try offer("m=audio 40000 RTP/SAVP 8\r\na=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:\(key)\r\n")
        let plain = try offer("m=audio 40000 RTP/AVP 8\r\n")
        let plainWithKeys = try offer("m=audio 40000 RTP/AVP 8\r\na=crypto:1 AEAD_AES_256_GCM inline:\(Base64.encode(Array(repeating: 9, count: 44)))\r\n")
        // mandatory: SAVP accepted with our key under the offer's tag; plain refused.
        let (answer, stream) = try negotiator(.mandatory).answer(savp, local: Self.local, origin: Self.origin)
        #expect(stream.srtp?.suite == .aesCM128HmacSha1_80)
        #expect(stream.srtp?.remote == (0..<30).map { UInt8($0) })
        #expect(stream.srtp?.local == Self.keys[.aesCM128HmacSha1_80])
        #expect(answer.media[0].cryptos.first?.tag == 3 && answer.media[0].proto == "RTP/SAVP")
        #expect(throws: SDPError.self) { try negotiator(.mandatory).answer(plain, local: Self.local, origin: Self.origin) }
        // mandatory also takes RTP/AVP with usable keys (an "optional" peer's best-effort SDES): SRTP is then used.
        #expect(try negotiator(.mandatory).answer(plainWithKeys, local: Self.local, origin: Self.origin).1.srtp?.suite == .aeadAES256GCM)
        // optional: either; best-effort keys on RTP/AVP are used.
        #expect(try negotiator(.optional).answer(plain, local: Self.local, origin: Self.origin).1.srtp == nil)
        #expect(try negotiator(.optional).answer(plainWithKeys, local: Self.local, origin: Self.origin).1.srtp?.suite == .aeadAES256GCM)
        // disabled: SAVP refused, keys on AVP ignored.
        #expect(throws: SDPError.self) { try negotiator(.disabled).answer(savp, local: Self.local, origin: Self.origin) }
        let (a2, s2) = try negotiator(.disabled).answer(plainWithKeys, local: Self.local, origin: Self.origin)
        #expect(s2.srtp == nil && a2.media[0].cryptos.isEmpty)
    }

    @Test func offerThenAnswerFromAPeer() throws {
        let n = negotiator(.optional)
        let offer = n.offer(local: Self.local, origin: Self.origin)
        let m = offer.media[0]
        #expect(m.formats == ["96", "8", "0", "97", "98", "99", "13", "101"])
        #expect(m.rtpMap(for: 96)?.description == "opus/48000/2" && m.rtcpMux && m.proto == "RTP/AVP")
        #expect(m.cryptos.map(\.suite) == SDESCrypto.Suite.allCases)
        // The far end answers with PCMA, the second crypto, no rtcp-mux.
        let theirKey = Base64.encode(Array(repeating: 5, count: 30))
        let answer = try SessionDescription(parsing: "v=0\r\no=far 1 1 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:\(theirKey)\r\na=recvonly\r\n")
        let s = try n.accept(answer: answer, to: offer, local: Self.local)
        #expect(s.codec.encoding == "PCMA" && s.codec.payloadType == 8)
        #expect(s.srtp?.suite == .aesCM128HmacSha1_32 && s.srtp?.remote == Array(repeating: 5, count: 30))
        #expect(s.direction == .sendonly && !s.rtcpMux && s.remoteRTCPPort == 30001)
        #expect(s.telephoneEventPayloadType == 101)
        // An answer with a crypto tag we never offered is refused.
        let bad = try SessionDescription(parsing: answer.serialized.replacingOccurrences(of: "crypto:2", with: "crypto:9"))
        #expect(throws: SDPError.self) { try n.accept(answer: bad, to: offer, local: Self.local) }
        // The stream rejected: port 0.
        let rejected = try SessionDescription(parsing: answer.serialized.replacingOccurrences(of: "m=audio 30000", with: "m=audio 0"))
        #expect(throws: SDPError.self) { try n.accept(answer: rejected, to: offer, local: Self.local) }
    }

    @Test func redundancyIsOfferedPerCodecAndTakenOnlyForTheChosenOne() throws {
        let n = negotiator()
        let offer = n.offer(local: Self.local, origin: Self.origin)
        let m = offer.media[0]
        // One red per codec, each naming only its codec (RFC 2198 fmtp), before CN and telephone-event.
        #expect(m.rtpMap(for: 97)?.description == "red/48000/2" && m.fmtp(for: 97) == "96/96")
        #expect(m.rtpMap(for: 98)?.description == "red/8000" && m.fmtp(for: 98) == "8/8")
        #expect(m.fmtp(for: 99) == "0/0")
        #expect(n.offeredRedundancy.map(\.red) == [97, 98, 99] && n.offeredRedundancy.map(\.primary) == [96, 8, 0])
        // A peer answering PCMA with its red (listed first): PCMA is the codec, red rides with it.
        let peer = "v=0\r\no=far 1 1 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\n"
        let withRed = try SessionDescription(parsing: peer + "m=audio 30000 RTP/AVP 98 8\r\na=rtpmap:98 red/8000\r\na=fmtp:98 8/8\r\n")
        let s = try n.accept(answer: withRed, to: offer, local: Self.local)
        #expect(s.codec.encoding == "PCMA" && s.redundancyPayloadType == 98)
        // A peer without red: none.
        let plain = try SessionDescription(parsing: peer + "m=audio 30000 RTP/AVP 8\r\n")
        #expect(try n.accept(answer: plain, to: offer, local: Self.local).redundancyPayloadType == nil)

        // Answering: red carrying the chosen codec is taken and answered; red of another codec, or of mixed codecs, is not.
        let o = try self.offer("m=audio 40000 RTP/AVP 8 0 100 101 102\r\na=rtpmap:100 red/8000\r\na=fmtp:100 0/0\r\n"
                               + "a=rtpmap:101 red/8000\r\na=fmtp:101 8/8\r\na=rtpmap:102 red/8000\r\na=fmtp:102 8/0\r\n")
        let (answer, stream) = try negotiator(codecs: [Self.pcma]).answer(o, local: Self.local, origin: Self.origin)
        #expect(stream.codec.payloadType == 8 && stream.redundancyPayloadType == 101)
        #expect(answer.media[0].formats == ["8", "101"] && answer.media[0].fmtp(for: 101) == "8/8")
        #expect(answer.media[0].rtpMap(for: 101)?.description == "red/8000")
        let mixed = try self.offer("m=audio 40000 RTP/AVP 8 102\r\na=rtpmap:102 red/8000\r\na=fmtp:102 8/0\r\n")
        #expect(try negotiator(codecs: [Self.pcma]).answer(mixed, local: Self.local, origin: Self.origin).1.redundancyPayloadType == nil)
        // Turned off (sipendpoint.media.redundancy = 0): neither offered nor taken.
        var off = negotiator(codecs: [Self.pcma])
        off.capabilities.redundancy = false
        #expect(off.offer(local: Self.local, origin: Self.origin).media[0].formats == ["8", "13", "101"])
        #expect(try off.answer(o, local: Self.local, origin: Self.origin).1.redundancyPayloadType == nil)
    }

    @Test func originVersionMovesOnlyWhenTheBodyChanges() {
        var t = SDPOriginTracker(sessionID: 123_456_789, address: SDPAddress(.ipv4, "127.0.0.1"))
        let n = negotiator()
        let first = t.stamp(n.offer(local: Self.local, origin: t.origin))
        let same = t.stamp(n.offer(local: Self.local, origin: t.origin))
        let held = t.stamp(n.offer(local: Self.local, origin: t.origin, direction: .sendonly))
        #expect(first.origin.sessionID == 123_456_789)
        #expect(same.origin.sessionVersion == first.origin.sessionVersion)
        #expect(held.origin.sessionVersion == first.origin.sessionVersion + 1)
        #expect(held.origin.sessionID == first.origin.sessionID)
    }
}
