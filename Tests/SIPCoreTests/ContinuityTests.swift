import Testing
@testable import SIPCore

@Suite struct SiteSelectorTests {
    func active(_ actions: [SiteSelector.Action]) -> Site?? {
        for case .activeSiteChanged(let s, _) in actions { return .some(s) }
        return nil
    }

    @Test func preferredFirstPeerWhileDownBackAfterHysteresis() {
        var s = SiteSelector(minimumStable: 10)
        #expect(!s.ready)
        // The peer registers first: it is used (anything beats nothing).
        #expect(active(s.handle(.registration(.peer, registered: true, at: 0))) == .some(.peer))
        #expect(s.ready)
        // The preferred comes up while the peer stands: wait for stability.
        let a = s.handle(.registration(.preferred, registered: true, at: 1))
        #expect(active(a) == nil)
        #expect(a.contains(.schedule(after: 10)))
        #expect(active(s.handle(.timerFired(at: 11))) == .some(.preferred))
        // Preferred lost: the peer at once.
        #expect(active(s.handle(.registration(.preferred, registered: false, at: 20))) == .some(.peer))
        // Both lost: not ready.
        #expect(active(s.handle(.registration(.peer, registered: false, at: 21))) == .some(nil))
        #expect(!s.ready)
        // Preferred back with nothing else standing: at once, no hysteresis.
        #expect(active(s.handle(.registration(.preferred, registered: true, at: 22))) == .some(.preferred))
    }

    @Test func preferredWithinTheStartupGraceTakesOverAtOnce() {
        var s = SiteSelector(minimumStable: 5, startupGrace: 2)
        #expect(s.handle(.starting(at: 100)).isEmpty)
        #expect(active(s.handle(.registration(.peer, registered: true, at: 100.01))) == .some(.peer))
        // The preferred answers a moment later: no hysteresis wait, no timer.
        let a = s.handle(.registration(.preferred, registered: true, at: 100.3))
        #expect(active(a) == .some(.preferred))
        #expect(!a.contains { if case .schedule = $0 { return true } else { return false } })
        // A loss and return, even inside the window, is a return: the
        // hysteresis protects it again (the first registration closed the window).
        #expect(active(s.handle(.registration(.preferred, registered: false, at: 100.5))) == .some(.peer))
        let back = s.handle(.registration(.preferred, registered: true, at: 101))
        #expect(active(back) == nil)
        #expect(back.contains(.schedule(after: 5)))
        // A network change (or re-register) opens the window again.
        #expect(active(s.handle(.timerFired(at: 106))) == .some(.preferred))
        _ = s.handle(.registration(.preferred, registered: false, at: 202))
        _ = s.handle(.starting(at: 300))
        #expect(active(s.handle(.registration(.preferred, registered: true, at: 301.5))) == .some(.preferred))
        #expect(s.switches == 6)
    }

    @Test func preferredAfterTheStartupGraceWaitsForTheHysteresis() {
        var s = SiteSelector(minimumStable: 5, startupGrace: 2)
        _ = s.handle(.starting(at: 0))
        _ = s.handle(.registration(.peer, registered: true, at: 0.1))
        let late = s.handle(.registration(.preferred, registered: true, at: 2.5))
        #expect(active(late) == nil)
        #expect(late.contains(.schedule(after: 5)))
        #expect(active(s.handle(.timerFired(at: 7.5))) == .some(.preferred))
    }

    @Test func flappingBeforeTheHysteresisNeverSwitchesBack() {
        var s = SiteSelector(minimumStable: 10)
        _ = s.handle(.registration(.preferred, registered: true, at: 0))
        _ = s.handle(.registration(.peer, registered: true, at: 0))
        _ = s.handle(.registration(.preferred, registered: false, at: 5))
        #expect(s.active == .peer)
        for t in stride(from: 6.0, to: 100, by: 6) {
            _ = s.handle(.registration(.preferred, registered: true, at: t))
            _ = s.handle(.timerFired(at: t + 3)) // an early, stale timer changes nothing
            _ = s.handle(.registration(.preferred, registered: false, at: t + 4))
            #expect(s.active == .peer)
        }
    }

    /// 24 simulated hours of a preferred site that flaps at random: the
    /// active site switches at most twice per flap that outlived the
    /// hysteresis, and never while a flap is shorter than it.
    @Test func twentyFourHoursOfFlapping() {
        let rng = RandomSource.seeded(2024)
        let hysteresis = 30.0
        var s = SiteSelector(minimumStable: hysteresis)
        _ = s.handle(.registration(.peer, registered: true, at: 0))
        var now = 0.0, up = false, longUps = 0
        var pendingTimer: Double?
        while now < 86_400 {
            let dwell = rng.uniform(1...120)
            // Fire a hysteresis timer that falls inside this dwell.
            if let t = pendingTimer, t <= now + dwell {
                for a in s.handle(.timerFired(at: t)) { if case .schedule(let after) = a { pendingTimer = t + after } }
                pendingTimer = nil
            }
            now += dwell
            if up && dwell >= hysteresis { longUps += 1 }
            up.toggle()
            pendingTimer = nil
            for a in s.handle(.registration(.preferred, registered: up, at: now)) {
                if case .schedule(let after) = a { pendingTimer = now + after }
                if case .cancelTimer = a { pendingTimer = nil }
            }
        }
        #expect(s.switches <= 2 * longUps + 2)
        #expect(s.switches > 10) // it did switch when flaps were long
        #expect(s.ready)
    }
}

@Suite struct KeepAliveMonitorTests {
    @Test func missesCountOnlyUnansweredProbes() {
        var m = KeepAliveMonitor(threshold: 2)
        #expect(m.handle(.tick) == [.probe])
        _ = m.handle(.answered)
        #expect(m.handle(.tick) == [.probe])
        #expect(m.handle(.tick) == [.probe]) // one miss
        #expect(m.misses == 1)
        #expect(m.handle(.tick) == [.failed("no answer to 2 keep-alives")])
        var stream = KeepAliveMonitor(threshold: 1)
        _ = stream.handle(.tick)
        #expect(stream.handle(.tick) == [.failed("no answer to 1 keep-alive")])
    }
}

@Suite struct RegistrationFlowTests {
    let contact = SIPURI(user: "7001", host: "192.0.2.10", port: 5060)

    func registered() throws -> (RegistrationMachine, SIPMessage) {
        var m = RegistrationMachine(configuration: RegistrationConfiguration(
            aor: SIPURI(user: "7001", host: "example.com"), registrarURI: SIPURI(host: "example.com"),
            password: "pw", expires: 600, instanceID: "inst-1"), random: .seeded(3))
        var req: SIPMessage?
        for case .send(let r) in m.handle(.start(contact: contact)) { req = r }
        var ok = SIPResponseBuilder.response(to: try #require(req), code: 200, reason: "OK")
        ok.headers.append(.contact, "<sip:7001@192.0.2.10:5060>;expires=600")
        _ = m.handle(.response(ok))
        return (m, ok)
    }

    func sent(_ actions: [RegistrationMachine.Action]) -> SIPMessage? {
        for case .send(let m) in actions { return m }
        return nil
    }

    @Test func probeIsAQueryAndNoticesALostBinding() throws {
        var (m, _) = try registered()
        let q = try #require(sent(m.handle(.probe)))
        #expect(q.headers[.contact] == nil)
        #expect(q.headers[.expires] == nil)
        // The registrar still holds us: alive, nothing else.
        var ok = SIPResponseBuilder.response(to: q, code: 200, reason: "OK")
        ok.headers.append(.contact, "<sip:7001@192.0.2.10:5060>;expires=500")
        #expect(m.handle(.response(ok)) == [.alive])
        #expect(m.status.state == .registered)
        // A restarted registrar answers with no bindings: register again at once.
        let q2 = try #require(sent(m.handle(.probe)))
        let empty = SIPResponseBuilder.response(to: q2, code: 200, reason: "OK")
        let actions = m.handle(.response(empty))
        #expect(actions.first == .alive)
        #expect(m.status == RegistrationStatus(state: .registering, reason: "binding lost at the registrar"))
        #expect(sent(actions)?.headers[.contact] != nil)
    }

    @Test func flowFailureReregistersAtOnceOnlyWhenRegistered() throws {
        var (m, _) = try registered()
        let a = m.handle(.flowFailed("connection closed"))
        #expect(sent(a)?.headers[.expires] == "600")
        #expect(m.status.reason == "connection closed")
        // While that REGISTER is in flight, another flow failure does nothing.
        #expect(m.handle(.flowFailed("again")).isEmpty)
    }
}
