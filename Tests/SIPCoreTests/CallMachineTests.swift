import Testing
@testable import SIPCore

/// The call machine with the flows SIP Server drives, without sockets or sleeps.
@Suite struct CallMachineTests {
    static let local = LocalMediaEndpoint(address: SDPAddress(.ipv4, "127.0.0.1"), rtpPort: 20000)
    static let negotiator = SDPNegotiator(capabilities: MediaCapabilities(codecs: [RTPMap(payloadType: 0, encoding: "PCMU", clockRate: 8000),
                                                                                   RTPMap(payloadType: 8, encoding: "PCMA", clockRate: 8000)]))
    static let contact = SIPURI(user: "7001", host: "127.0.0.1", port: 5090)
    static let offer = "v=0\r\no=ss 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"

    static func request(_ method: SIPMethod, cseq: UInt32, body: String = "", toTag: String? = nil, extra: [(String, String)] = [], branch: String = "z9hG4bK-1") -> SIPMessage {
        var h = SIPHeaders()
        h.append(.via, "SIP/2.0/UDP 192.0.2.10:5060;branch=\(branch)")
        h.append(.from, "<sip:sipserver@192.0.2.10>;tag=ss1")
        h.append(.to, "<sip:7001@127.0.0.1>" + (toTag.map { ";tag=\($0)" } ?? ""))
        h.append(.callID, "call-77")
        h.append(.cseq, "\(cseq) \(method)")
        h.append(.contact, "<sip:sipserver@192.0.2.10:5060>")
        h.append(.maxForwards, "70")
        for (n, v) in extra { h.append(SIPHeaderName(n), v) }
        if !body.isEmpty { h.append(.contentType, "application/sdp") }
        return .request(method, uri: try! SIPURI("sip:7001@127.0.0.1:5090"), headers: h, body: Array(body.utf8))
    }

    static func start(_ invite: SIPMessage, autoAnswer: Double? = nil) throws -> (CallMachine, [CallMachine.Action]) {
        try CallMachine.incoming(invite, local: local, negotiator: negotiator, contact: contact, policy: CallPolicy(), autoAnswerAfter: autoAnswer, random: .seeded(3))
    }

    static func responses(_ a: [CallMachine.Action]) -> [SIPMessage] { a.compactMap { if case .respond(let r) = $0 { r } else { nil } } }
    static func sent(_ a: [CallMachine.Action]) -> [SIPMessage] { a.compactMap { if case .send(let r) = $0 { r } else { nil } } }
    static func media(_ a: [CallMachine.Action]) -> [NegotiatedStream] { a.compactMap { if case .media(let s) = $0 { s } else { nil } } }
    static func sdp(_ m: SIPMessage) throws -> SessionDescription { try SessionDescription(parsing: String(decoding: m.body, as: UTF8.self)) }

    @Test func autoAnswerAtOnceWithTheAnswerThenAck() throws {
        let invite = Self.request(.invite, cseq: 1, body: Self.offer, extra: [("Call-Info", "<sip:192.0.2.10>;answer-after=0"), ("X-Genesys-CallUUID", "UUID-1")])
        #expect(AutoAnswer.delay(in: invite) == 0)
        var (m, a) = try Self.start(invite, autoAnswer: AutoAnswer.delay(in: invite))
        let ok = try #require(Self.responses(a).first)
        #expect(ok.statusCode == 200 && ok.headers[.allowEvents] == "talk, hold" && ok.headers[.contact] != nil)
        let answer = try Self.sdp(ok)
        #expect(answer.media[0].formats == ["0", "101"] && answer.media[0].port == 20000)
        #expect(Self.media(a).first?.remoteRTPPort == 40000)
        #expect(m.state == .connecting && m.genesysCallUUID == "UUID-1")
        #expect(a.contains(.schedule(.retransmit2xx, .milliseconds(500))))
        // The 200 is retransmitted until the ACK.
        a = m.handle(.timer(.retransmit2xx))
        #expect(Self.responses(a).first == ok && a.contains(.schedule(.retransmit2xx, .seconds(1))))
        a = m.handle(.request(Self.request(.ack, cseq: 1, toTag: m.dialog.localTag, branch: "z9hG4bK-ack")))
        #expect(m.state == .established && a.contains(.cancel(.retransmit2xx)))
        #expect(m.handle(.timer(.retransmit2xx)).isEmpty)
    }

    @Test func ringsUntilNotifyTalk() throws {
        var (m, a) = try Self.start(Self.request(.invite, cseq: 1, body: Self.offer))
        let ringing = try #require(Self.responses(a).first)
        #expect(ringing.statusCode == 180 && ringing.to?.tag == m.dialog.localTag && ringing.headers[.allowEvents] == "talk, hold")
        #expect(m.state == .ringing)
        a = m.handle(.request(Self.request(.notify, cseq: 2, toTag: m.dialog.localTag, extra: [("Event", "talk"), ("Subscription-State", "active")], branch: "z9hG4bK-n")))
        #expect(Self.responses(a).map { $0.statusCode } == [200, 200])
        #expect(Self.responses(a).map { try? $0.cseq.method } == [.notify, .invite])
        #expect(m.state == .connecting)
    }

    @Test func delayedOfferMakeCallAnswerComesInTheAck() throws {
        var (m, a) = try Self.start(Self.request(.invite, cseq: 1, extra: [("Alert-Info", "<http://x>;info=alert-autoanswer;delay=0")]), autoAnswer: 0)
        let ok = try #require(Self.responses(a).first)
        let ourOffer = try Self.sdp(ok)
        #expect(ourOffer.media[0].formats.contains("0") && ourOffer.media[0].direction() == .sendrecv)
        #expect(Self.media(a).isEmpty)
        let answer = "v=0\r\no=ss 1 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.11\r\nt=0 0\r\nm=audio 41000 RTP/AVP 0\r\n"
        a = m.handle(.request(Self.request(.ack, cseq: 1, body: answer, toTag: m.dialog.localTag, branch: "z9hG4bK-ack")))
        #expect(Self.media(a).first?.remoteAddress.address == "192.0.2.11" && m.state == .established)
    }

    @Test func holdByZeroAddressThenSDPLessRetrieve() throws {
        var (m, _) = try Self.start(Self.request(.invite, cseq: 1, body: Self.offer), autoAnswer: 0)
        let tag = m.dialog.localTag
        _ = m.handle(.request(Self.request(.ack, cseq: 1, toTag: tag, branch: "z9hG4bK-a1")))
        let first = m.stream
        let hold = Self.offer.replacingOccurrences(of: "c=IN IP4 192.0.2.10", with: "c=IN IP4 0.0.0.0").replacingOccurrences(of: "o=ss 1 1", with: "o=ss 1 2")
        var a = m.handle(.request(Self.request(.invite, cseq: 2, body: hold, toTag: tag, branch: "z9hG4bK-h")))
        let ok = try #require(Self.responses(a).first)
        let held = try Self.sdp(ok)
        #expect(ok.statusCode == 200 && held.media[0].port == 20000) // the stream is kept
        #expect(held.origin.sessionID == first.map { _ in held.origin.sessionID } && held.origin.sessionVersion >= 1)
        #expect(Self.media(a).first?.direction.sends == false)
        #expect(a.contains(.held(local: false, remote: true)) && m.remoteHold)
        _ = m.handle(.request(Self.request(.ack, cseq: 2, toTag: tag, branch: "z9hG4bK-a2")))
        // Retrieve: re-INVITE without SDP; our offer in the 200, the answer in the ACK.
        a = m.handle(.request(Self.request(.invite, cseq: 3, toTag: tag, branch: "z9hG4bK-r")))
        let offer = try Self.sdp(try #require(Self.responses(a).first))
        #expect(offer.media[0].direction() == .sendrecv && offer.origin.sessionID == held.origin.sessionID)
        a = m.handle(.request(Self.request(.ack, cseq: 3, body: Self.offer.replacingOccurrences(of: "o=ss 1 1", with: "o=ss 1 3"), toTag: tag, branch: "z9hG4bK-a3")))
        #expect(Self.media(a).first?.direction == .sendrecv && !m.remoteHold)
    }

    @Test(arguments: [("a=sendonly", MediaDirection.recvonly), ("a=inactive", .inactive), ("a=sendrecv", .sendrecv)])
    func plainRFC3264Hold(_ attr: String, _ answered: MediaDirection) throws {
        var (m, _) = try Self.start(Self.request(.invite, cseq: 1, body: Self.offer), autoAnswer: 0)
        _ = m.handle(.request(Self.request(.ack, cseq: 1, toTag: m.dialog.localTag, branch: "z9hG4bK-a1")))
        let a = m.handle(.request(Self.request(.invite, cseq: 2, body: Self.offer + attr + "\r\n", toTag: m.dialog.localTag, branch: "z9hG4bK-h")))
        #expect(try Self.sdp(try #require(Self.responses(a).first)).media[0].direction() == answered)
    }

    @Test func cancelWhileRinging() throws {
        var (m, _) = try Self.start(Self.request(.invite, cseq: 1, body: Self.offer))
        let a = m.handle(.request(Self.request(.cancel, cseq: 1)))
        #expect(Self.responses(a).map { $0.statusCode } == [200, 487])
        #expect(m.state == .terminated && a.contains(.ended(CallEndCause(code: 487, reason: "cancelled by the caller", remote: true))))
    }

    @Test func byeEitherWayAndNoAckEndsWithBye() throws {
        var (m, _) = try Self.start(Self.request(.invite, cseq: 1, body: Self.offer), autoAnswer: 0)
        _ = m.handle(.request(Self.request(.ack, cseq: 1, toTag: m.dialog.localTag, branch: "z9hG4bK-a1")))
        var a = m.handle(.request(Self.request(.bye, cseq: 2, toTag: m.dialog.localTag, branch: "z9hG4bK-b")))
        #expect(Self.responses(a).first?.statusCode == 200 && m.state == .terminated)
        // Local hangup sends BYE into the dialog.
        var (m2, _) = try Self.start(Self.request(.invite, cseq: 1, body: Self.offer), autoAnswer: 0)
        _ = m2.handle(.request(Self.request(.ack, cseq: 1, toTag: m2.dialog.localTag, branch: "z9hG4bK-a1")))
        a = m2.handle(.hangup)
        let bye = try #require(Self.sent(a).first)
        #expect(bye.method == .bye && bye.to?.tag == "ss1" && bye.from?.tag == m2.dialog.localTag && bye.requestLine?.uri.host == "192.0.2.10")
        // No ACK at all: BYE after 64·T1.
        var (m3, _) = try Self.start(Self.request(.invite, cseq: 1, body: Self.offer), autoAnswer: 0)
        a = m3.handle(.timer(.ackTimeout))
        #expect(Self.sent(a).first?.method == .bye && m3.state == .terminated)
    }

    @Test func notifyHoldSendsOurSendonlyReinvite() throws {
        var (m, _) = try Self.start(Self.request(.invite, cseq: 1, body: Self.offer), autoAnswer: 0)
        let tag = m.dialog.localTag
        _ = m.handle(.request(Self.request(.ack, cseq: 1, toTag: tag, branch: "z9hG4bK-a1")))
        var a = m.handle(.request(Self.request(.notify, cseq: 2, toTag: tag, extra: [("Event", "hold")], branch: "z9hG4bK-n")))
        let reinvite = try #require(Self.sent(a).first)
        #expect(Self.responses(a).first?.statusCode == 200)
        #expect(try Self.sdp(reinvite).media[0].direction() == .sendonly)
        // Glare: their re-INVITE while ours is pending gets 491.
        a = m.handle(.request(Self.request(.invite, cseq: 3, body: Self.offer, toTag: tag, branch: "z9hG4bK-g")))
        #expect(Self.responses(a).first?.statusCode == 491)
        var ok = SIPResponseBuilder.response(to: reinvite, code: 200, reason: "OK", toTag: "ss1")
        ok.headers.append(.contentType, "application/sdp")
        ok.body = Array((Self.offer + "a=recvonly\r\n").utf8)
        a = m.handle(.response(ok))
        #expect(Self.sent(a).first?.method == .ack)
        #expect(m.localHold && Self.media(a).first?.direction == .sendonly)
        // NOTIFY talk retrieves.
        a = m.handle(.request(Self.request(.notify, cseq: 4, toTag: tag, extra: [("Event", "talk")], branch: "z9hG4bK-t")))
        #expect(try Self.sdp(try #require(Self.sent(a).first)).media[0].direction() == .sendrecv)
    }

    @Test func unacceptableOfferIs488WithWarning() throws {
        let (m, a) = try Self.start(Self.request(.invite, cseq: 1, body: Self.offer.replacingOccurrences(of: "RTP/AVP 0 101", with: "RTP/AVP 18")))
        let r = try #require(Self.responses(a).first)
        #expect(r.statusCode == 488 && r.headers[.warning]?.contains("no common codec") == true && m.state == .terminated)
    }

    @Test func dtmfOutByEventsOrInfo() throws {
        var (m, _) = try Self.start(Self.request(.invite, cseq: 1, body: Self.offer), autoAnswer: 0)
        _ = m.handle(.request(Self.request(.ack, cseq: 1, toTag: m.dialog.localTag, branch: "z9hG4bK-a1")))
        // PCMU with telephone-event: RFC 4733 in the stream (invalid characters dropped).
        #expect(m.handle(.sendDTMF("1x#", method: .rfc2833)) == [.mediaDTMF("1#")])
        // INFO: one dtmf-relay request per digit.
        let infos = Self.sent(m.handle(.sendDTMF("12", method: .info)))
        #expect(infos.map(\.method) == [.info, .info])
        #expect(String(decoding: infos[1].body, as: UTF8.self).hasPrefix("Signal=2"))
        #expect(infos[0].headers[.contentType] == "application/dtmf-relay")
    }

    @Test func infoDTMF() throws {
        var (m, _) = try Self.start(Self.request(.invite, cseq: 1, body: Self.offer), autoAnswer: 0)
        _ = m.handle(.request(Self.request(.ack, cseq: 1, toTag: m.dialog.localTag, branch: "z9hG4bK-a1")))
        var info = Self.request(.info, cseq: 2, toTag: m.dialog.localTag, branch: "z9hG4bK-i")
        info.headers.append(.contentType, "application/dtmf-relay")
        info.body = Array("Signal=5\r\nDuration=160\r\n".utf8)
        let a = m.handle(.request(info))
        #expect(a.contains(.dtmf("5")) && Self.responses(a).first?.statusCode == 200)
        // An old CSeq is refused.
        #expect(Self.responses(m.handle(.request(Self.request(.info, cseq: 2, toTag: m.dialog.localTag, branch: "z9hG4bK-i2")))).first?.statusCode == 500)
    }
}

/// Dialog matching (RFC 3261 §12.2.2): Call-ID and both tags, compared in place.
@Suite struct DialogMatchingTests {
    @Test func requestsMatchByCallIDAndTags() throws {
        let invite = CallMachineTests.request(.invite, cseq: 1, body: CallMachineTests.offer)
        let dialog = try Dialog(uas: invite, localTag: "ep1", initialCSeq: 1)
        var bye = CallMachineTests.request(.bye, cseq: 2, toTag: "ep1")
        #expect(dialog.matches(bye))
        #expect(!dialog.matches(CallMachineTests.request(.bye, cseq: 2, toTag: "ep2")))
        #expect(!dialog.matches(CallMachineTests.request(.bye, cseq: 2)))
        bye.headers[.callID] = "CALL-77"
        #expect(!dialog.matches(bye), "Call-IDs compare case-sensitively")
        bye.headers[.callID] = "call-77"
        bye.headers[.from] = "<sip:sipserver@192.0.2.10>;tag=ss2"
        #expect(!dialog.matches(bye), "the remote tag is part of the dialog")
        bye.headers[.from] = "<sip:sipserver@192.0.2.10>;tag=ss1"
        #expect(dialog.matches(bye))
        // One the keys reject (an ACK is not validated before it is matched)
        // is still matched by Call-ID and tags, through the typed values.
        var ack = CallMachineTests.request(.ack, cseq: 1, toTag: "ep1")
        ack.headers[.contact] = "<sip:sipserver@192.0.2.10>;expires="
        #expect(throws: SIPParseError.self) { try ack.keys() }
        #expect(dialog.matches(ack))
        ack.headers[.callID] = "call-78"
        #expect(!dialog.matches(ack))
    }
}
