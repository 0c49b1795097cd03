import Testing
@testable import SIPCore

/// Virtual time for the transaction machines: records what they send and
/// fires their timers in due order, so every timer path runs in microseconds.
struct Timeline {
    var now: Duration = .zero
    var due: [TransactionTimer: Duration] = [:]
    var sent: [(at: Duration, message: SIPMessage)] = []
    var toTU: [SIPMessage] = []
    var outcomes: [TransactionAction] = []
    var terminated = false

    mutating func apply(_ actions: [TransactionAction]) {
        for a in actions {
            switch a {
            case .send(let m): sent.append((now, m))
            case .startTimer(let t, let d): due[t] = now + d
            case .cancelTimer(let t): due[t] = nil
            case .passToTU(let m): toTU.append(m)
            case .timeout, .transportError: outcomes.append(a)
            case .terminated: terminated = true; due.removeAll()
            }
        }
    }

    /// Fires timers until `limit` (or until none are left).
    mutating func run(until limit: Duration, _ handle: (TransactionEvent) -> [TransactionAction]) {
        while let (t, at) = due.min(by: { $0.value < $1.value }), at <= limit {
            now = at
            due[t] = nil
            apply(handle(.timerFired(t)))
        }
        if now < limit { now = limit }
    }
}

let t1 = Duration.milliseconds(500)

func request(_ method: SIPMethod, branch: String = "z9hG4bK-test") -> SIPMessage {
    var h = SIPHeaders()
    h.append(.via, "SIP/2.0/UDP 192.0.2.1:5060;branch=\(branch)")
    h.append(.from, "<sip:a@example.com>;tag=1")
    h.append(.to, "<sip:b@example.com>")
    h.append(.callID, "call-1")
    h.append(.cseq, "1 \(method)")
    h.append(.maxForwards, "70")
    return .request(method, uri: try! SIPURI("sip:b@example.com"), headers: h)
}

func response(_ code: Int, to req: SIPMessage) -> SIPMessage {
    SIPResponseBuilder.response(to: req, code: code, reason: "R", toTag: "tt")
}

@Suite struct ClientTransactionTests {
    @Test func nonInviteRetransmitsWithBackoffUntilTimerF() {
        var t = ClientNonInviteTransaction(request: request(.register), reliable: false)
        var tl = Timeline()
        tl.apply(t.handle(.start))
        tl.run(until: .seconds(40)) { t.handle($0) }
        // E doubles from T1 to T2 (4 s), then stays: sends at 0, .5, 1.5, 3.5, 7.5, 11.5 ... 31.5.
        let times = tl.sent.map { $0.at }
        #expect(times == [0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5].map { Duration.milliseconds(Int64($0 * 1000)) })
        #expect(tl.outcomes == [.timeout])
        #expect(tl.terminated)
        #expect(t.state == .terminated)
    }

    @Test func nonInviteProceedingRetransmitsEveryT2AndCompletesWithTimerK() {
        let req = request(.register)
        var t = ClientNonInviteTransaction(request: req, reliable: false)
        var tl = Timeline()
        tl.apply(t.handle(.start))
        tl.apply(t.handle(.received(response(100, to: req))))
        #expect(t.state == .proceeding)
        tl.run(until: .seconds(9)) { t.handle($0) }
        // Proceeding: E fires at 0.5 and then every T2.
        #expect(tl.sent.map { $0.at } == [.zero, .milliseconds(500), .milliseconds(4500), .milliseconds(8500)])
        tl.apply(t.handle(.received(response(200, to: req))))
        #expect(t.state == .completed)
        #expect(tl.toTU.map { $0.statusCode } == [100, 200])
        // Retransmitted 200 in Completed is absorbed.
        #expect(t.handle(.received(response(200, to: req))).isEmpty)
        tl.run(until: .seconds(20)) { t.handle($0) }
        #expect(tl.now == .seconds(20))
        #expect(tl.terminated) // Timer K = T4 after the final response
    }

    @Test func nonInviteReliableNeitherRetransmitsNorWaits() {
        let req = request(.options)
        var t = ClientNonInviteTransaction(request: req, reliable: true)
        var tl = Timeline()
        tl.apply(t.handle(.start))
        #expect(tl.due.keys.sorted { $0.rawValue < $1.rawValue } == [.f])
        tl.apply(t.handle(.received(response(404, to: req))))
        #expect(tl.terminated)
        #expect(tl.sent.count == 1)
    }

    @Test func nonInviteTransportErrorReachesTU() {
        var t = ClientNonInviteTransaction(request: request(.register), reliable: true)
        var tl = Timeline()
        tl.apply(t.handle(.start))
        tl.apply(t.handle(.transportError(SIPTransportFailure(.unreachable, "connection refused"))))
        #expect(tl.outcomes == [.transportError(SIPTransportFailure(.unreachable, "connection refused"))])
        #expect(tl.terminated)
    }

    @Test func inviteRetransmitsUntilTimerB() {
        var t = ClientInviteTransaction(request: request(.invite), reliable: false)
        var tl = Timeline()
        tl.apply(t.handle(.start))
        tl.run(until: .seconds(40)) { t.handle($0) }
        #expect(tl.sent.map { $0.at } == [0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5].map { Duration.milliseconds(Int64($0 * 1000)) })
        #expect(tl.outcomes == [.timeout])
    }

    /// Genesys `sip_transaction_timeout`: timers B and F, not the server timers.
    @Test func clientTimeoutBoundsTimersBAndF() {
        let timers = TransactionTimers(clientTimeout: .milliseconds(4000))
        var f = ClientNonInviteTransaction(request: request(.register), reliable: false, timers: timers)
        var tl = Timeline()
        tl.apply(f.handle(.start))
        tl.run(until: .seconds(40)) { f.handle($0) }
        #expect(tl.sent.map { $0.at } == [0, 0.5, 1.5, 3.5].map { Duration.milliseconds(Int64($0 * 1000)) })
        #expect(tl.outcomes == [.timeout])
        #expect(tl.now == .seconds(40) && f.state == .terminated)

        var b = ClientInviteTransaction(request: request(.invite), reliable: true, timers: timers)
        var tb = Timeline()
        tb.apply(b.handle(.start))
        #expect(tb.due[.b] == .seconds(4))
        // A server transaction keeps 64·T1 for Timer H.
        var h = ServerInviteTransaction(request: request(.invite), reliable: true, timers: timers)
        var th = Timeline()
        th.apply(h.handle(.start))
        th.apply(h.handle(.sendResponse(response(486, to: request(.invite)))))
        #expect(th.due[.h] == .seconds(32))
    }

    @Test func inviteNon2xxIsAcknowledgedAndAbsorbedUntilTimerD() throws {
        let inv = request(.invite)
        var t = ClientInviteTransaction(request: inv, reliable: false)
        var tl = Timeline()
        tl.apply(t.handle(.start))
        tl.apply(t.handle(.received(response(180, to: inv))))
        tl.apply(t.handle(.received(response(486, to: inv))))
        #expect(t.state == .completed)
        let ack = try #require(tl.sent.last?.message)
        #expect(ack.requestLine?.method == .ack)
        #expect(try ack.cseq == SIPCSeq(1, .ack))
        #expect(ack.to?.tag == "tt")
        #expect(ack.topVia?.branch == inv.topVia?.branch)
        // A retransmitted 486 gets the ACK again.
        tl.apply(t.handle(.received(response(486, to: inv))))
        #expect(tl.sent.filter { $0.message.requestLine?.method == .ack }.count == 2)
        tl.run(until: .seconds(31)) { t.handle($0) }
        #expect(!tl.terminated)
        tl.run(until: .seconds(33)) { t.handle($0) }
        #expect(tl.terminated) // Timer D ≥ 32 s
    }

    @Test func invite2xxGoesToAcceptedAndPassesRetransmissions() {
        let inv = request(.invite)
        var t = ClientInviteTransaction(request: inv, reliable: true)
        var tl = Timeline()
        tl.apply(t.handle(.start))
        tl.apply(t.handle(.received(response(200, to: inv))))
        #expect(t.state == .accepted)
        tl.apply(t.handle(.received(response(200, to: inv))))
        #expect(tl.toTU.count == 2)
        tl.run(until: .seconds(33)) { t.handle($0) }
        #expect(tl.terminated) // Timer M
    }
}

@Suite struct ServerTransactionTests {
    @Test func nonInviteRepeatsFinalResponseUntilTimerJ() {
        let req = request(.options)
        var t = ServerNonInviteTransaction(request: req, reliable: false)
        var tl = Timeline()
        tl.apply(t.handle(.start))
        #expect(tl.toTU.count == 1)
        // A retransmission before any response: nothing to repeat yet.
        tl.apply(t.handle(.received(req)))
        #expect(tl.sent.isEmpty)
        tl.apply(t.handle(.sendResponse(response(200, to: req))))
        tl.apply(t.handle(.received(req)))
        #expect(tl.sent.count == 2)
        tl.run(until: .seconds(31)) { t.handle($0) }
        #expect(!tl.terminated)
        tl.run(until: .seconds(33)) { t.handle($0) }
        #expect(tl.terminated)
    }

    @Test func inviteSendsTryingAndRetransmitsFinalUntilAck() {
        let inv = request(.invite)
        var t = ServerInviteTransaction(request: inv, reliable: false)
        var tl = Timeline()
        tl.apply(t.handle(.start))
        #expect(tl.sent.first?.message.statusCode == 100)
        tl.apply(t.handle(.received(inv)))
        #expect(tl.sent.count == 2) // 100 repeated for the retransmitted INVITE
        tl.apply(t.handle(.sendResponse(response(480, to: inv))))
        tl.run(until: .milliseconds(3600)) { t.handle($0) }
        // G: 0.5, 1.5, 3.5 → three retransmissions of the 480.
        #expect(tl.sent.filter { $0.message.statusCode == 480 }.map { $0.at } == [.zero, .milliseconds(500), .milliseconds(1500), .milliseconds(3500)])
        var ack = request(.ack)
        ack.headers.replaceFirst(.cseq, with: "1 ACK")
        tl.apply(t.handle(.received(ack)))
        #expect(t.state == .confirmed)
        let before = tl.sent.count
        tl.run(until: .seconds(10)) { t.handle($0) }
        #expect(tl.sent.count == before)
        #expect(tl.terminated) // Timer I = T4
    }

    @Test func inviteWithoutAckTimesOutAtTimerH() {
        let inv = request(.invite)
        var t = ServerInviteTransaction(request: inv, reliable: false)
        var tl = Timeline()
        tl.apply(t.handle(.start))
        tl.apply(t.handle(.sendResponse(response(486, to: inv))))
        tl.run(until: .seconds(40)) { t.handle($0) }
        #expect(tl.outcomes == [.timeout])
        // G capped at T2: 0.5,1,2,4,4,... within 32 s.
        let gaps = zip(tl.sent.dropFirst(2), tl.sent.dropFirst(3)).map { $1.at - $0.at }
        #expect(gaps.allSatisfy { $0 <= .seconds(4) })
        #expect(gaps.last == .seconds(4))
    }

    @Test func invite2xxMovesToAcceptedAndAbsorbsRetransmissions() {
        let inv = request(.invite)
        var t = ServerInviteTransaction(request: inv, reliable: true)
        var tl = Timeline()
        tl.apply(t.handle(.start))
        tl.apply(t.handle(.sendResponse(response(200, to: inv))))
        #expect(t.state == .accepted)
        #expect(t.handle(.received(inv)).isEmpty)
        tl.run(until: .seconds(33)) { t.handle($0) }
        #expect(tl.terminated) // Timer L
    }
}

@Suite struct TransactionKeyTests {
    @Test func ackMatchesInviteServerTransaction() {
        let inv = request(.invite, branch: "z9hG4bKabc")
        var ack = request(.ack, branch: "z9hG4bKabc")
        ack.headers.replaceFirst(.cseq, with: "1 ACK")
        #expect(TransactionKey.server(for: inv) == TransactionKey.server(for: ack))
        #expect(TransactionKey.server(for: inv) != TransactionKey.server(for: request(.invite, branch: "z9hG4bKother")))
    }

    @Test func rfc2543FallbackWithoutMagicCookie() {
        let a = request(.options, branch: "legacy1")
        let b = request(.options, branch: "legacy1")
        guard case .legacy = TransactionKey.server(for: a) else { Issue.record("expected legacy key"); return }
        #expect(TransactionKey.server(for: a) == TransactionKey.server(for: b))
        #expect(TransactionKey.server(for: request(.options, branch: "z9hG4bK")) != nil)
    }

    @Test func responseMatchesClientByBranchAndMethod() {
        let req = request(.register)
        #expect(TransactionKey.client(for: response(200, to: req)) == TransactionKey.client(forRequest: req))
        var other = response(200, to: req)
        other.headers.replaceFirst(.cseq, with: "1 OPTIONS")
        #expect(TransactionKey.client(for: other) != TransactionKey.client(forRequest: req))
    }

    /// A response the keys reject (here an empty Contact parameter value)
    /// still finds its transaction through the top Via and CSeq.
    @Test func aResponseWithAFaultElsewhereStillMatches() throws {
        let req = request(.register)
        var r = response(200, to: req)
        r.headers.append(.contact, "<sip:7001@192.0.2.10>;expires=")
        #expect(throws: SIPParseError.self) { try r.keys() }
        #expect(TransactionKey.client(for: r) == TransactionKey.client(forRequest: req))
        r.headers.remove(.via)
        #expect(TransactionKey.client(for: r) == nil)
    }
}
