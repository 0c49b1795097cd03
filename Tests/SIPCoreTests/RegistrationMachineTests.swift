import Testing
@testable import SIPCore

@Suite struct RegistrationMachineTests {
    let contact = SIPURI(user: "7001", host: "192.0.2.10", port: 5060)

    func machine(expires: UInt32 = 600, password: String = "pw", retryBase: Duration = .seconds(30), spread: Duration = .zero, seed: UInt64 = 42) -> RegistrationMachine {
        var c = RegistrationConfiguration(
            aor: SIPURI(user: "7001", host: "example.com"), registrarURI: SIPURI(host: "example.com"),
            password: password, expires: expires, retryBase: retryBase, retryMax: .seconds(1800),
            instanceID: "00000000-0000-0000-0000-000000000001")
        c.spread = spread
        return RegistrationMachine(configuration: c, random: .seeded(seed))
    }

    func sent(_ actions: [RegistrationMachine.Action]) -> SIPMessage? {
        for case .send(let m) in actions { return m }
        return nil
    }

    func scheduled(_ actions: [RegistrationMachine.Action], _ timer: RegistrationMachine.Timer) -> Duration? {
        for case .schedule(let t, let d) in actions where t == timer { return d }
        return nil
    }

    func reply(_ code: Int, to req: SIPMessage, _ extra: [(SIPHeaderName, String)] = []) -> SIPMessage {
        var r = SIPResponseBuilder.response(to: req, code: code, reason: "X", toTag: "reg")
        for (n, v) in extra { r.headers.append(n, v) }
        return r
    }

    let challenge = #"Digest realm="example.com", nonce="n1", qop="auth", algorithm=MD5"#

    @Test func registersThroughChallengeAndSchedulesRandomisedRefresh() throws {
        var m = machine()
        let first = try #require(sent(m.handle(.start(contact: contact))))
        #expect(first.requestLine?.method == .register)
        #expect(first.headers[.expires] == "600")
        #expect(first.headers[.contact]?.contains("+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-000000000001>\"") == true)
        #expect(first.headers[.authorization] == nil)
        let second = try #require(sent(m.handle(.response(reply(401, to: first, [(.wwwAuthenticate, challenge)])))))
        #expect(try second.cseq.number == (try first.cseq.number) + 1)
        #expect(second.callID == first.callID)
        #expect(second.from?.tag == first.from?.tag)
        let auth = try #require(second.headers[.authorization])
        #expect(auth.contains("nonce=\"n1\"") && auth.contains("nc=00000001"))
        let ok = m.handle(.response(reply(200, to: second, [(.contact, "<sip:7001@192.0.2.10:5060>;expires=300")])))
        #expect(m.status == RegistrationStatus(state: .registered, grantedExpires: 300))
        let refresh = try #require(scheduled(ok, .refresh))
        #expect(refresh >= .seconds(165) && refresh <= .seconds(255)) // 0.55–0.85 × the granted 300 s
        // The refresh reuses the challenge with the next nonce count.
        let third = try #require(sent(m.handle(.timerFired(.refresh))))
        #expect(third.headers[.authorization]?.contains("nc=00000002") == true)
    }

    @Test func refreshPointsSpreadAcrossAgents() {
        var points = Set<Int>()
        for seed in 0..<50 {
            var m = RegistrationMachine(configuration: RegistrationConfiguration(
                aor: SIPURI(user: "7001", host: "e"), registrarURI: SIPURI(host: "e"), password: "",
                expires: 1000, instanceID: "x"), random: .seeded(UInt64(seed)))
            let req = sent(m.handle(.start(contact: contact)))!
            let actions = m.handle(.response(reply(200, to: req, [(.expires, "1000")])))
            if let d = scheduled(actions, .refresh) { points.insert(Int(d.seconds)) }
        }
        #expect(points.count > 30)
        #expect(points.allSatisfy { $0 >= 550 && $0 <= 850 })
    }

    @Test func wrongPasswordIsTerminalWithoutRetry() throws {
        var m = machine(password: "wrong")
        let first = try #require(sent(m.handle(.start(contact: contact))))
        let second = try #require(sent(m.handle(.response(reply(401, to: first, [(.wwwAuthenticate, challenge)])))))
        let after = m.handle(.response(reply(401, to: second, [(.wwwAuthenticate, #"Digest realm="example.com", nonce="n2", qop="auth""#)])))
        #expect(sent(after) == nil)
        #expect(scheduled(after, .retry) == nil)
        #expect(m.status.state == .authFailed)
        #expect(m.status.reason?.contains("credentials rejected") == true)
        #expect(m.handle(.timerFired(.retry)).isEmpty)
    }

    @Test func staleNonceIsAnsweredAgain() throws {
        var m = machine()
        let first = try #require(sent(m.handle(.start(contact: contact))))
        let second = try #require(sent(m.handle(.response(reply(401, to: first, [(.wwwAuthenticate, challenge)])))))
        let stale = #"Digest realm="example.com", nonce="n2", qop="auth", stale=true"#
        let third = try #require(sent(m.handle(.response(reply(401, to: second, [(.wwwAuthenticate, stale)])))))
        #expect(third.headers[.authorization]?.contains("nonce=\"n2\"") == true)
        #expect(m.status.state == .registering)
    }

    @Test func proxyAuthenticateUsesProxyAuthorization() throws {
        var m = machine()
        let first = try #require(sent(m.handle(.start(contact: contact))))
        let second = try #require(sent(m.handle(.response(reply(407, to: first, [(.proxyAuthenticate, challenge)])))))
        #expect(second.headers[.proxyAuthorization] != nil)
        #expect(second.headers[.authorization] == nil)
    }

    @Test func intervalTooBriefRaisesExpiresToMinExpires() throws {
        var m = machine(expires: 20)
        let first = try #require(sent(m.handle(.start(contact: contact))))
        let second = try #require(sent(m.handle(.response(reply(423, to: first, [(.minExpires, "60")])))))
        #expect(second.headers[.expires] == "60")
        _ = m.handle(.response(reply(200, to: second, [(.expires, "60")])))
        #expect(m.status.grantedExpires == 60)
        // 423 without Min-Expires cannot be satisfied: a failure with backoff.
        var n = machine(expires: 20)
        let r = try #require(sent(n.handle(.start(contact: contact))))
        let actions = n.handle(.response(reply(423, to: r)))
        #expect(n.status.state == .retrying)
        #expect(scheduled(actions, .retry) != nil)
    }

    @Test func failuresBackOffExponentiallyWithJitterAndCap() throws {
        var m = machine(retryBase: .seconds(30))
        _ = m.handle(.start(contact: contact))
        var delays: [Double] = []
        for _ in 0..<10 {
            let a = m.handle(.failure("timeout"))
            delays.append(try #require(scheduled(a, .retry)).seconds)
            #expect(sent(m.handle(.timerFired(.retry))) != nil)
        }
        // Fast start (1, 2, 4 s), then 50–100 % of min(1800, 30·2^(n-3)).
        for (i, d) in delays.enumerated() {
            let n = i + 1
            let cap = n <= 3 ? Double(1 << (n - 1)) : min(1800, 30 * Double(1 << (n - 4)))
            #expect(d >= cap * 0.5 && d <= cap, "attempt \(n): \(d)")
        }
        #expect(delays.last! <= 1800)
        #expect(m.status.state == .registering)
    }


    /// Nothing listening: a short, jittered, non-growing cadence, however long
    /// the outage; the first real failure after it backs off as usual.
    @Test func unreachableSitesAreTriedAtTheShortCadence() throws {
        var m = machine(retryBase: .seconds(30))
        _ = m.handle(.start(contact: contact))
        var delays: [Double] = []
        for _ in 0..<50 {
            let a = m.handle(.unreachable("connect failed: Connection refused"))
            delays.append(try #require(scheduled(a, .retry)).seconds)
            #expect(m.status.state == .retrying)
            #expect(m.status.reason == "connect failed: Connection refused")
            #expect(sent(m.handle(.timerFired(.retry))) != nil)
        }
        #expect(delays.allSatisfy { $0 >= 0.75 && $0 <= 1.5 }, "\(delays)")
        #expect(Set(delays).count > 10) // jittered, so agents do not retry in step
        // The registrar answers but fails: the ordinary (long) backoff applies.
        let a = m.handle(.failure("no response (timeout)"))
        #expect(try #require(scheduled(a, .retry)) >= .seconds(15))
    }
    /// Storm control: a boot spreads the first REGISTER over the window, at
    /// a different point for each endpoint; with no window it goes at once.
    @Test func spreadStartWaitsARandomPointOfTheWindow() throws {
        var waits: [Double] = []
        for seed in 1...200 {
            var m = machine(spread: .seconds(20), seed: UInt64(seed))
            let a = m.handle(.startSpread(contact: contact))
            #expect(sent(a) == nil)
            #expect(m.status.state == .retrying && m.status.reason == "spreading the fleet's start")
            waits.append(try #require(scheduled(a, .retry)).seconds)
            #expect(sent(m.handle(.timerFired(.retry))) != nil)
            #expect(m.status.state == .registering)
        }
        #expect(waits.allSatisfy { $0 >= 0 && $0 <= 20 })
        // Spread over the window, not bunched: every 4-second slice holds some.
        for slice in 0..<5 { #expect(waits.contains { $0 >= Double(slice * 4) && $0 < Double(slice * 4 + 4) }, "slice \(slice): \(waits)") }
        var now = machine()
        #expect(sent(now.handle(.startSpread(contact: contact))) != nil)
    }

    /// A site where nothing listens: three quick tries (a blip), then the
    /// fleet spread window, so its return is not met by every endpoint at once.
    @Test func lastingOutageIsTriedOverTheSpreadWindow() throws {
        var m = machine(spread: .seconds(30))
        _ = m.handle(.start(contact: contact))
        var delays: [Double] = []
        for _ in 0..<8 {
            delays.append(try #require(scheduled(m.handle(.unreachable("refused")), .retry)).seconds)
            _ = m.handle(.timerFired(.retry))
        }
        #expect(delays.prefix(3).allSatisfy { $0 >= 0.75 && $0 <= 1.5 }, "\(delays)")
        #expect(delays.dropFirst(3).allSatisfy { $0 >= 15 && $0 <= 30 }, "\(delays)")
    }

    /// 503 is a registrar shedding load: RFC 5626 backoff from the base time
    /// at once (not the 1-2-4 s fast start), and a shared Retry-After is
    /// stretched at random so thousands do not come back in the same second.
    @Test func overloadBacksOffFromTheBaseAndStretchesRetryAfter() throws {
        var m = machine(retryBase: .seconds(30))
        let r = try #require(sent(m.handle(.start(contact: contact))))
        let first = try #require(scheduled(m.handle(.response(reply(503, to: r))), .retry)).seconds
        #expect(first >= 15 && first <= 30, "\(first)")
        let r2 = try #require(sent(m.handle(.timerFired(.retry))))
        let second = try #require(scheduled(m.handle(.response(reply(503, to: r2))), .retry)).seconds
        #expect(second >= 30 && second <= 60, "\(second)")
        var retryAfters: [Double] = []
        for seed in 1...50 {
            var n = machine(retryBase: .seconds(1), seed: UInt64(seed))
            let q = try #require(sent(n.handle(.start(contact: contact))))
            retryAfters.append(try #require(scheduled(n.handle(.response(reply(503, to: q, [(.retryAfter, "10")]))), .retry)).seconds)
        }
        #expect(retryAfters.allSatisfy { $0 >= 10 && $0 <= 15 }, "\(retryAfters)")
        #expect(retryAfters.max()! - retryAfters.min()! > 3)
        // A site back after an outage that answers 503: the backoff starts at the base,
        // however many unreachable tries the outage took (FleetSim found 15-30 minutes here).
        var back = machine(retryBase: .seconds(30))
        _ = back.handle(.start(contact: contact))
        for _ in 0..<12 { _ = back.handle(.unreachable("refused")); _ = back.handle(.timerFired(.retry)) }
        let q = try #require(sent(back.handle(.timerFired(.retry))) ?? sent(back.handle(.start(contact: contact))))
        let afterOutage = try #require(scheduled(back.handle(.response(reply(503, to: q))), .retry)).seconds
        #expect(afterOutage >= 15 && afterOutage <= 30, "\(afterOutage)")
        // A timeout after the outage: the backoff of a first failure past the fast start
        // (15-30 s), not the tens of minutes the outage's tries would have made it.
        var timedOut = machine(retryBase: .seconds(30))
        _ = timedOut.handle(.start(contact: contact))
        for _ in 0..<12 { _ = timedOut.handle(.unreachable("refused")); _ = timedOut.handle(.timerFired(.retry)) }
        let t = try #require(scheduled(timedOut.handle(.failure("no response (timeout)")), .retry)).seconds
        #expect(t >= 15 && t <= 30, "\(t)")
    }

    @Test func retryAfterIsHonoured() throws {
        var m = machine(retryBase: .seconds(1))
        let r = try #require(sent(m.handle(.start(contact: contact))))
        let a = m.handle(.response(reply(503, to: r, [(.retryAfter, "120")])))
        #expect(try #require(scheduled(a, .retry)) >= .seconds(120))
        #expect(m.status.reason?.hasPrefix("503") == true)
    }

    @Test func staleResponsesAreIgnored() throws {
        var m = machine()
        let first = try #require(sent(m.handle(.start(contact: contact))))
        _ = m.handle(.response(reply(401, to: first, [(.wwwAuthenticate, challenge)])))
        // A late answer to CSeq 1 must not be taken for the answer to CSeq 2.
        #expect(m.handle(.response(reply(200, to: first))).isEmpty)
        #expect(m.status.state == .registering)
    }

    @Test func stopUnregistersWithExpiresZero() throws {
        var m = machine()
        let first = try #require(sent(m.handle(.start(contact: contact))))
        _ = m.handle(.response(reply(200, to: first, [(.expires, "600")])))
        let stop = m.handle(.stop)
        #expect(stop.contains(.cancel(.refresh)))
        let unreg = try #require(sent(stop))
        #expect(unreg.headers[.expires] == "0")
        #expect(unreg.headers[.contact]?.contains("expires=0") == true)
        let done = m.handle(.response(reply(200, to: unreg)))
        #expect(done.contains(.stopped))
        #expect(m.status.state == .stopped)
        // Stopping when nothing is registered finishes at once.
        var idle = machine()
        #expect(idle.handle(.stop).contains(.stopped))
    }

    @Test func passwordNeverInRequestsOrDescriptions() throws {
        var m = machine(password: "Sup3rS3cret")
        let first = try #require(sent(m.handle(.start(contact: contact))))
        let second = try #require(sent(m.handle(.response(reply(401, to: first, [(.wwwAuthenticate, challenge)])))))
        #expect(!second.text.contains("Sup3rS3cret"))
        #expect(!"\(m.configuration)".contains("Sup3rS3cret"))
        #expect(!SIPTrace.redacted(second).contains("response="))
    }
}

@Suite struct RegistrationRealmTests {
    @Test func credentialsGoOnlyToTheConfiguredRealm() throws {
        var m = RegistrationMachine(configuration: RegistrationConfiguration(
            aor: SIPURI(user: "7001", host: "example.com"), registrarURI: SIPURI(host: "example.com"),
            password: "pw", realm: "example.com", instanceID: "x"), random: .seeded(1))
        var first: SIPMessage?
        for case .send(let r) in m.handle(.start(contact: SIPURI(user: "7001", host: "192.0.2.1"))) { first = r }
        var reply = SIPResponseBuilder.response(to: try #require(first), code: 401, reason: "Unauthorized")
        reply.headers.append(.wwwAuthenticate, #"Digest realm="evil.example.net", nonce="n""#)
        let actions = m.handle(.response(reply))
        #expect(!actions.contains { if case .send = $0 { return true } else { return false } })
        #expect(m.status.state == .authFailed)
        #expect(m.status.reason?.contains("evil.example.net") == true)
    }
}

extension RegistrationMachineTests {
    /// A previous run's binding goes in the first REGISTER with expires=0 (and
    /// its authenticated repeat), never once the registration stands.
    @Test func staleContactRemovedByTheFirstRegister() throws {
        var config = RegistrationConfiguration(aor: SIPURI(user: "7001", host: "example.com"), registrarURI: SIPURI(host: "example.com"),
                                               password: "pw", expires: 600, instanceID: "00000000-0000-0000-0000-000000000001")
        let old = SIPURI(user: "7001", host: "192.0.2.10", port: 5999)
        config.staleContacts = [old, contact]
        config.callID = "kept-call-id"
        config.firstCSeq = 41
        var m = RegistrationMachine(configuration: config, random: .seeded(42))
        let first = try #require(sent(m.handle(.start(contact: contact))))
        let firstCSeq = try first.cseq.number
        #expect(first.callID == "kept-call-id" && firstCSeq == 41)
        let contacts = first.headers.values(.contact)
        #expect(contacts.count == 2 && contacts[1] == "<sip:7001@192.0.2.10:5999>;expires=0", "\(contacts)")
        let again = try #require(sent(m.handle(.response(reply(401, to: first, [(.wwwAuthenticate, challenge)])))))
        #expect(again.headers.values(.contact).count == 2)
        _ = m.handle(.response(reply(200, to: again, [(.contact, "<sip:7001@192.0.2.10:5060>;expires=600")])))
        #expect(m.status.state == .registered)
        let refresh = try #require(sent(m.handle(.timerFired(.refresh))))
        #expect(refresh.headers.values(.contact).count == 1)
    }
}
