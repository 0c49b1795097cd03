import Foundation
import Testing

/// A preferred and a peer kamailio; over TLS they are reached by name (a
/// dnsmasq the test starts) so the certificate's host name is checked.
struct SitePair {
    let preferred: Kamailio
    let peer: Kamailio
    let tls: TLSServerSetup?
    let dns: Dnsmasq?
    var settings: [String: String]

    init(transport: String) async throws {
        let pki = transport == "TLS" ? try await TestPKI.make(serverName: "sip.tls.test") : nil
        tls = pki.map { TLSServerSetup(certificate: $0.path("server.crt"), key: $0.path("server.key"), ca: $0.path("ca.crt")) }
        preferred = try await Kamailio(tls: tls)
        peer = try await Kamailio(tls: tls)
        settings = Daemon.settings(registrar: preferred, transport: transport, regTimeout: 300)
        settings["sipendpoint.sip-server-address.peer"] = peer.address
        settings["sipendpoint.bc.hysteresis"] = "2"
        if let pki {
            let dns = try await Dnsmasq(records: ["--host-record=primary.cluster.test,\(preferred.address)", "--host-record=secondary.cluster.test,\(peer.address)"])
            settings["sipendpoint.dns-server"] = dns.server
            settings["sipendpoint.sip-server-address"] = "primary.cluster.test"
            settings["sipendpoint.sip-server-address.peer"] = "secondary.cluster.test"
            settings["sipendpoint.sip-server-port"] = "5061"
            settings["sipendpoint.tls.ca-file"] = pki.path("ca.crt")
            self.dns = dns
        } else {
            dns = nil
        }
    }

    /// Starts the daemon against both sites; returns once the preferred site
    /// is active and the peer holds its binding too.
    func startDaemon(_ settings: [String: String]? = nil) async throws -> Daemon {
        let d = try await Daemon(settings ?? self.settings)
        #expect(await d.log.waitFor("active site preferred", timeout: .seconds(10)), "\(d.log.text)")
        #expect(await peer.log.waitFor("REGISTER-SAVED", timeout: .seconds(10)))
        return d
    }

    /// Stops everything, also a registrar left SIGSTOPped by a test.
    func stop() async {
        preferred.child.signalGroup(SIGCONT)
        await preferred.stop()
        await peer.stop()
        await dns?.stop()
    }
}

/// Business Continuity with two real kamailio registrars (preferred, peer).
@Suite(.serialized) struct ContinuityTests {
    func elapsed(since start: ContinuousClock.Instant) -> String {
        let d = ContinuousClock.now - start
        return String(format: "%.3f s", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }

    /// Kill the preferred site, restart it empty, and watch the active site.
    @Test(arguments: ["UDP", "TCP", "TLS"])
    func hardFailureAndReturn(_ transport: String) async throws {
        let sites = try await SitePair(transport: transport)
        defer { Task { await sites.stop() } }
        let (preferred, peer) = (sites.preferred, sites.peer)
        let d = try await sites.startDaemon()
        #expect(try await preferred.bindings(user: "7001").count == 1)
        #expect(try await peer.bindings(user: "7001").count == 1)
        #expect(d.log.text.contains("Business Continuity: preferred and peer sites"))

        // At start the peer may have been active for a moment: count from here.
        let peerBefore = d.log.count("active site peer"), preferredBefore = d.log.count("active site preferred")
        let killed = ContinuousClock.now
        preferred.child.kill9()
        _ = await preferred.child.waitForExit(timeout: .seconds(5))
        #expect(await d.log.waitFor("active site peer", count: peerBefore + 1, timeout: .seconds(10)), "\(d.log.text)")
        print("MEASURED \(transport) hard failure → active site peer in \(elapsed(since: killed))")
        #expect(try await peer.bindings(user: "7001").count == 1) // the peer binding stays

        // The preferred registrar comes back with an empty location table.
        let restarted = ContinuousClock.now
        let back = try await Kamailio(address: preferred.address, tls: sites.tls)
        defer { Task { await back.stop() } }
        #expect(await back.log.waitFor("REGISTER-SAVED", timeout: .seconds(30)), "\(d.log.text)")
        print("MEASURED \(transport) binding re-created at the restarted preferred registrar in \(elapsed(since: restarted))")
        #expect(await d.log.waitFor("active site preferred", count: preferredBefore + 1, timeout: .seconds(30)))
        print("MEASURED \(transport) active site back to preferred in \(elapsed(since: restarted)) (hysteresis 2 s)")
        #expect(try await back.bindings(user: "7001").count == 1)
        #expect(await d.stop() == 0)
    }

    /// The preferred registrar stops answering (SIGSTOP): detected by keep-alives.
    @Test(arguments: ["UDP", "TCP", "TLS"])
    func silentFailureIsDetectedInSeconds(_ transport: String) async throws {
        let sites = try await SitePair(transport: transport)
        defer { Task { await sites.stop() } }
        let d = try await sites.startDaemon()
        let peerBefore = d.log.count("active site peer"), preferredBefore = d.log.count("active site preferred")
        let stopped = ContinuousClock.now
        kill(-sites.preferred.child.pid, SIGSTOP)
        #expect(await d.log.waitFor("active site peer", count: peerBefore + 1, timeout: .seconds(15)), "\(d.log.text)")
        print("MEASURED \(transport) silent failure → active site peer in \(elapsed(since: stopped)) (default keep-alive settings)")
        #expect(d.log.text.contains("keep-alive"))
        let resumed = ContinuousClock.now
        kill(-sites.preferred.child.pid, SIGCONT)
        #expect(await d.log.waitFor("active site preferred", count: preferredBefore + 1, timeout: .seconds(60)), "\(d.log.text)")
        print("MEASURED \(transport) preferred answering again → active site preferred in \(elapsed(since: resumed))")
        #expect(await d.stop() == 0)
    }

    /// An outage that outlasts the fast retries: the preferred registrar stays
    /// away for six failed rounds, then returns. Nothing listened meanwhile, so
    /// the channel kept trying at the keep-alive cadence: the binding and the
    /// active site come back within the interval (+ hysteresis), not at the
    /// growing backoff's next turn (15–30 s away by then).
    @Test(arguments: ["UDP", "TCP", "TLS"])
    func longOutageEndsWithinTheKeepAliveInterval(_ transport: String) async throws {
        let sites = try await SitePair(transport: transport)
        defer { Task { await sites.stop() } }
        let d = try await sites.startDaemon()
        let preferredRetry: @Sendable (String) -> Bool = { $0.contains("registration retrying") && $0.contains("site=preferred") }
        let retriesBefore = d.log.all.filter(preferredRetry).count
        let preferredBefore = d.log.count("active site preferred")
        let killed = ContinuousClock.now
        sites.preferred.child.kill9()
        _ = await sites.preferred.child.waitForExit(timeout: .seconds(5))
        #expect(await d.log.wait(timeout: .seconds(20)) { $0.filter(preferredRetry).count >= retriesBefore + 6 }, "\(d.log.text)")
        let outage = elapsed(since: killed)
        #expect(d.log.count("active site peer") >= 1)
        // The dead site's ICMP errors never touch the live one (over UDP both
        // sites share one socket, and its pending error used to fail the next send).
        #expect(!d.log.text.contains("peer site lost its registration"), "\(d.log.text)")

        let restarted = ContinuousClock.now
        let back = try await Kamailio(address: sites.preferred.address, tls: sites.tls)
        defer { Task { await back.stop() } }
        let answering = ContinuousClock.now // kamailio has answered its readiness OPTIONS
        #expect(await back.log.waitFor("REGISTER-SAVED", timeout: .seconds(10)), "\(d.log.text)")
        let took = ContinuousClock.now - answering
        print("MEASURED \(transport) after a \(outage) outage (6 failed rounds): binding back \(elapsed(since: answering)) after the registrar answered again (\(elapsed(since: restarted)) after its start began)")
        // One retry interval (1.5 s, jittered 50–100 %) at most, plus slack for a loaded machine.
        #expect(took < .milliseconds(2500), "\(d.log.text)")
        #expect(await d.log.waitFor("active site preferred", count: preferredBefore + 1, timeout: .seconds(10)))
        print("MEASURED \(transport) after that outage: active site back to preferred in \(elapsed(since: restarted)) (hysteresis 2 s)")
        #expect(await d.stop() == 0)
    }

    /// A registrar restart that is quicker than the keep-alives: the UDP
    /// binding probe notices the lost binding and registers again.
    @Test func lostBindingIsRepairedOnUDP() async throws {
        let first = try await Kamailio()
        let d = try await Daemon(Daemon.settings(registrar: first, regTimeout: 300))
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)))
        await first.stop()
        let kam = try await Kamailio(address: first.address)
        defer { Task { await kam.stop() } }
        let restarted = ContinuousClock.now
        #expect(await kam.log.waitFor("REGISTER-SAVED", count: 2, timeout: .seconds(10)), "\(d.log.text)")
        #expect(try await kam.bindings(user: "7001").count == 1)
        print("MEASURED UDP binding re-created after a registrar restart in \(elapsed(since: restarted))")
        #expect(d.log.text.contains("binding lost at the registrar") || d.log.text.contains("keep-alive"))
        #expect(await d.stop() == 0)
    }

    /// A flapping preferred site: bounded switches, no fd growth, daemon alive.
    @Test(arguments: ["UDP", "TCP", "TLS"])
    func flappingPreferredSite(_ transport: String) async throws {
        let sites = try await SitePair(transport: transport)
        defer { Task { await sites.stop() } }
        let preferred = sites.preferred
        var s = sites.settings
        s["sipendpoint.bc.hysteresis"] = "3"
        s["sipendpoint.keepalive.interval"] = "0.3"
        let d = try await sites.startDaemon(s)
        let fds = { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(d.child.pid)/fd").count) ?? -1 }
        let rss = { () -> Int in
            let status = (try? String(contentsOfFile: "/proc/\(d.child.pid)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        let fdsBefore = fds()
        let rssBefore = rss()
        let switchesBefore = d.log.count("active site ")
        // 15 flaps, each outage shorter than the 3 s hysteresis: 0.6 s down
        // (1.2 s over UDP, so that two 0.3 s binding probes surely go
        // unanswered) and 0.9 s up. The pauses are the outage schedule itself,
        // not a wait for an event.
        let down: Duration = transport == "UDP" ? .milliseconds(1200) : .milliseconds(600)
        for _ in 0..<15 {
            kill(-preferred.child.pid, SIGSTOP)
            try await Task.sleep(for: down)
            kill(-preferred.child.pid, SIGCONT)
            try await Task.sleep(for: .milliseconds(900))
        }
        // Once stable, the preferred site returns (the last active-site line says so).
        _ = await d.log.wait(timeout: .seconds(20)) { lines in
            lines.last { $0.contains("active site ") }?.contains("active site preferred") == true
        }
        let switches = d.log.count("active site ") - switchesBefore
        print("MEASURED \(transport) flapping: \(switches) active-site changes over 15 flaps; fds \(fdsBefore) → \(fds()); RSS \(rssBefore) kB → \(rss()) kB")
        #expect(rss() - rssBefore < 8_000)
        #expect(d.child.isRunning)
        // One move to the peer at the first outage noticed, one return once
        // stable: no outage outlived the hysteresis, so nothing in between.
        #expect(switches == 2)
        #expect(d.log.all.last { $0.contains("active site ") }?.contains("active site preferred") == true)
        #expect(abs(fds() - fdsBefore) <= 2)
        #expect(await d.stop() == 0)
    }
}

/// Network changes (rtnetlink) re-register at once; run in a network
/// namespace the test creates, so the host's network is untouched.
@Suite(.serialized) struct NetworkChangeTests {
    @Test func addressAndLinkChangesReregister() async throws {
        let ns = "sipep-\(getpid())"
        try await runCommand("/usr/sbin/ip", ["netns", "add", ns])
        defer { Task { try? await runCommand("/usr/sbin/ip", ["netns", "del", ns]) } }
        try await runCommand("/usr/sbin/ip", ["-n", ns, "link", "set", "lo", "up"])
        let kam = try await Kamailio(address: "127.0.0.1", netns: ns)
        defer { Task { await kam.stop() } }
        var s = Daemon.settings(registrar: kam, transport: "TCP", regTimeout: 300)
        s["sipendpoint.keepalive.interval"] = "0"
        let d = try await Daemon(s, netns: ns)
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "\(d.log.text)")
        // Registrar log lines trail the daemon's: see the first save before counting.
        #expect(await kam.log.waitFor("REGISTER-SAVED", timeout: .seconds(3)))
        let before = kam.log.count("REGISTER-SAVED")
        let (status, out) = try await runCommand("/usr/sbin/ip", ["-n", ns, "addr", "add", "10.200.0.1/32", "dev", "lo"])
        #expect(status == 0, "\(out)")
        #expect(await d.log.waitFor("network change: re-registering", timeout: .seconds(5)), "\(d.log.text)")
        #expect(await kam.log.waitFor("REGISTER-SAVED", count: before + 1, timeout: .seconds(5)))
        #expect(d.log.text.contains("address added"))
        try await runCommand("/usr/sbin/ip", ["-n", ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1"])
        #expect(await d.log.waitFor("network change: re-registering", count: 2, timeout: .seconds(5)))
        #expect(try await kam.bindings(user: "7001").count == 1)
        #expect(await d.stop() == 0)
    }
}
