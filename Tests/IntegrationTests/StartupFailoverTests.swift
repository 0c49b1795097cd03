import Foundation
import Testing

/// A site already down when the daemon starts (issue: the first REGISTER
/// waited out the whole 32 s Timer F), and the preferred site winning the
/// start-up race without waiting for the hysteresis.
@Suite(.serialized) struct StartupFailoverTests {
    enum Outage: String, CaseIterable, Sendable {
        /// Nothing listens at the first target's address (process crashed).
        case crashed
        /// The first target's registrar is SIGSTOPped: packets are taken in and never answered.
        case silent
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    /// SRV priority 10 → registrar A (down before the start), priority 20 →
    /// registrar B; default settings. Time from start until B saved the binding.
    @Test(arguments: ["UDP", "TCP", "TLS"], Outage.allCases)
    func firstSRVTargetDownAtStart(_ transport: String, _ outage: Outage) async throws {
        let pki = transport == "TLS" ? try await TestPKI.make(serverName: "sip.tls.test") : nil
        let tls = pki.map { TLSServerSetup(certificate: $0.path("server.crt"), key: $0.path("server.key"), ca: $0.path("ca.crt")) }
        let first: Kamailio? = outage == .silent ? try await Kamailio(tls: tls) : nil
        let firstAddress = first?.address ?? LoopbackAddresses.next()
        let second = try await Kamailio(tls: tls)
        defer {
            Task {
                first?.child.signalGroup(SIGCONT)
                await first?.stop()
                await second.stop()
            }
        }
        let proto = ["UDP": "_sip._udp", "TCP": "_sip._tcp", "TLS": "_sips._tcp"][transport]!
        let port = transport == "TLS" ? 5061 : 5060
        let dns = try await Dnsmasq(records: [
            "--srv-host=\(proto).cluster.test,primary.cluster.test,\(port),10,0",
            "--srv-host=\(proto).cluster.test,secondary.cluster.test,\(port),20,0",
            "--host-record=primary.cluster.test,\(firstAddress)",
            "--host-record=secondary.cluster.test,\(second.address)",
        ])
        defer { Task { await dns.stop() } }
        first?.child.signalGroup(SIGSTOP)
        var s = Daemon.settings(registrar: second, transport: transport, regTimeout: 60)
        dns.useSRVDomain("cluster.test", in: &s)
        if let pki { s["sipendpoint.tls.ca-file"] = pki.path("ca.crt") }
        let started = ContinuousClock.now
        let d = try await Daemon(s)
        let saved = await second.log.waitFor("REGISTER-SAVED", timeout: .seconds(15))
        let elapsed = ContinuousClock.now - started
        #expect(saved, "\(d.log.text)")
        _ = await d.log.waitFor("registration registered", timeout: .seconds(5))
        // The bound is on the daemon's own clock, from its start-up line to
        // its registration: on a loaded CI machine, starting the process
        // alone has taken over half a second.
        let registered = d.log.time(ofFirst: "registration registered")?.timeIntervalSince(d.log.time(ofFirst: "sipendpointd started") ?? .distantFuture)
        print(String(format: "MEASURED %@ first SRV target %@ at start → registered at the second target %.3f s after the daemon started (%.3f s with process start)",
                     transport, outage.rawValue, registered ?? -1, Self.seconds(elapsed)))
        #expect(registered.map { $0 >= 0 && $0 < (outage == .crashed ? 1 : 5) } == true, "\(d.log.text)")
        #expect(try await second.bindings(user: "7001").count == 1)
        if outage == .silent {
            // The give-up came from the 4 s failover timeout, not Timer F's 32 s.
            #expect((registered ?? 0) > 3.5)
        }
        #expect(await d.stop() == 0)
    }

    /// Both sites up; the preferred registrar is held back (SIGSTOP) until
    /// the peer is active, then answers. 20 start-ups: every time the
    /// preferred site becomes active within 1 s of answering, with exactly
    /// one move (peer → preferred) and no hysteresis wait.
    @Test func preferredWinsTheStartupRace() async throws {
        let sites = try await SitePair(transport: "UDP")
        defer { Task { await sites.stop() } }
        var settings = sites.settings
        settings["sipendpoint.bc.hysteresis"] = "5"
        var worst = 0.0
        for round in 0..<20 {
            sites.preferred.child.signalGroup(SIGSTOP)
            let d = try await Daemon(settings)
            let peerActive = await d.log.waitFor("active site peer", timeout: .seconds(10))
            let resumed = ContinuousClock.now
            sites.preferred.child.signalGroup(SIGCONT)
            #expect(peerActive, "round \(round): \(d.log.text)")
            let preferredActive = await d.log.waitFor("active site preferred", timeout: .seconds(10))
            let took = Self.seconds(ContinuousClock.now - resumed)
            worst = max(worst, took)
            #expect(preferredActive, "round \(round): \(d.log.text)")
            #expect(took < 1.0, "round \(round): preferred active \(took) s after it answered")
            // The preferred registration stands and nothing moves afterwards: the
            // peer's keep-alive probes and the preferred's answered retransmissions
            // come and go within this wait, which a flap would show.
            #expect(await sites.preferred.log.waitFor("REGISTER-SAVED", count: round + 1, timeout: .seconds(5)))
            #expect(await !d.log.waitFor("active site", count: 3, timeout: .milliseconds(1500)), "round \(round): \(d.log.text)")
            #expect(d.log.count("active site") == 2)
            #expect(!d.log.text.contains("stable for"))
            #expect(await d.stop() == 0)
        }
        print(String(format: "MEASURED start-up race (20 rounds): preferred active at most %.3f s after it answered", worst))
    }
}
