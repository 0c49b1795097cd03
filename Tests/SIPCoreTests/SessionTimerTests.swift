import Testing
@testable import SIPCore

/// RFC 4028 session timers in the call machine, without sockets or sleeps.
@Suite struct SessionTimerTests {
    typealias T = CallMachineTests

    /// An auto-answered, acknowledged call whose INVITE carried `extra`.
    static func established(_ extra: [(String, String)]) throws -> (CallMachine, [CallMachine.Action]) {
        var (m, a) = try T.start(T.request(.invite, cseq: 1, body: T.offer, extra: extra), autoAnswer: 0)
        _ = m.handle(.request(T.request(.ack, cseq: 1, toTag: m.dialog.localTag, branch: "z9hG4bK-a1")))
        #expect(m.state == .established)
        return (m, a)
    }

    @Test func intervalBelowMinSEIs422() throws {
        let (m, a) = try T.start(T.request(.invite, cseq: 1, body: T.offer, extra: [("Session-Expires", "60"), ("Supported", "timer")]), autoAnswer: 0)
        let r = try #require(T.responses(a).first)
        #expect(r.statusCode == 422 && r.headers[SIPHeaderName("Min-SE")] == "90" && m.state == .terminated)
        // In an established call a too-short refresh is refused and the call stays.
        var (c, _) = try Self.established([])
        let b = c.handle(.request(T.request(.invite, cseq: 2, body: T.offer, toTag: c.dialog.localTag, extra: [("Session-Expires", "30")], branch: "z9hG4bK-r")))
        #expect(T.responses(b).map(\.statusCode) == [422] && c.state == .established)
    }

    @Test func weRefreshWhenToldUAS() throws {
        var (m, a) = try Self.established([("Session-Expires", "90;refresher=uas"), ("Supported", "timer"), ("Min-SE", "90")])
        let ok = try #require(T.responses(a).first)
        #expect(ok.headers[.sessionExpires] == "90;refresher=uas" && ok.optionTags(.require) == ["timer"])
        #expect(a.contains(.schedule(.sessionRefresh, .seconds(45))))
        let before = try T.sdp(ok).origin
        // Half the interval later: a re-INVITE with the SDP as it stands.
        a = m.handle(.timer(.sessionRefresh))
        let refresh = try #require(T.sent(a).first)
        #expect(refresh.method == .invite && refresh.headers[.sessionExpires] == "90;refresher=uac")
        let offer = try T.sdp(refresh)
        #expect(offer.origin.sessionID == before.sessionID && offer.origin.sessionVersion == before.sessionVersion)
        #expect(offer.media[0].direction() == .sendrecv)
        // Its 200 (the UAS keeps us as refresher) is acknowledged and re-arms the timer.
        var ok2 = SIPResponseBuilder.response(to: refresh, code: 200, reason: "OK", toTag: "ss1")
        ok2.headers.append(.sessionExpires, "90;refresher=uac")
        ok2.headers.append(.contentType, "application/sdp")
        ok2.body = Array(T.offer.replacingOccurrences(of: "o=ss 1 1", with: "o=ss 1 2").utf8)
        a = m.handle(.response(ok2))
        #expect(T.sent(a).first?.method == .ack && a.contains(.schedule(.sessionRefresh, .seconds(45))) && m.state == .established)
    }

    @Test func theirRefreshKeepsTheCallAndSilenceEndsIt() throws {
        var (m, a) = try Self.established([("Session-Expires", "120;refresher=uac"), ("Supported", "timer")])
        #expect(T.responses(a).first?.headers[.sessionExpires] == "120;refresher=uac")
        #expect(a.contains(.schedule(.sessionExpiry, .seconds(88)))) // 120 − min(32, 40)
        // Their refresh (an UPDATE without SDP) re-arms the expiry.
        a = m.handle(.request(T.request(.update, cseq: 2, toTag: m.dialog.localTag, extra: [("Session-Expires", "120;refresher=uac"), ("Supported", "timer")], branch: "z9hG4bK-u")))
        #expect(T.responses(a).first?.statusCode == 200 && T.responses(a).first?.headers[.sessionExpires] == "120;refresher=uac")
        #expect(a.contains(.schedule(.sessionExpiry, .seconds(88))))
        // No refresh in time: BYE, ended with 408.
        a = m.handle(.timer(.sessionExpiry))
        #expect(T.sent(a).first?.method == .bye && m.state == .terminated)
        #expect(a.contains { if case .ended(let c) = $0 { c.code == 408 } else { false } })
    }

    @Test func grantedOursWhenAskedNoneAndNoneWithoutSupport() throws {
        let (_, a) = try Self.established([("Supported", "timer")])
        #expect(T.responses(a).first?.headers[.sessionExpires] == "1800;refresher=uac")
        #expect(a.contains(.schedule(.sessionExpiry, .seconds(1768))))
        let (_, b) = try Self.established([])
        #expect(T.responses(b).first?.headers[.sessionExpires] == nil)
        #expect(!b.contains { if case .schedule(.sessionExpiry, _) = $0 { true } else { false } })
        // A proxy asked for a timer the UAC does not support: we refresh.
        let (_, c) = try Self.established([("Session-Expires", "300")])
        #expect(T.responses(c).first?.headers[.sessionExpires] == "300;refresher=uas" && T.responses(c).first?.headers[.require] == nil)
        #expect(c.contains(.schedule(.sessionRefresh, .seconds(150))))
    }

    @Test func glareRetryTimingFollowsCallIDOwnership() throws {
        var (m, _) = try Self.established([])
        let a = m.handle(.hold(true))
        let reinvite = try #require(T.sent(a).first)
        let b = m.handle(.response(SIPResponseBuilder.response(to: reinvite, code: 491, reason: "Request Pending", toTag: "ss1")))
        // SIP Server made the Call-ID: we wait 0–2 s (§14.1), then try again.
        let wait = try #require(b.compactMap { if case .schedule(.glare, let d) = $0 { d } else { nil } }.first)
        #expect(wait >= .zero && wait < .seconds(2))
        let again = m.handle(.timer(.glare))
        let retry = try #require(T.sent(again).first)
        let sdp = try T.sdp(retry)
        #expect(retry.method == .invite && sdp.media[0].direction() == .sendonly)
    }
}
