import Foundation
import Testing

/// The real daemon against a real kamailio registrar on loopback.
@Suite(.serialized) struct RegistrationTests {
    @Test(arguments: ["UDP", "TCP"])
    func registersAndRefreshes(_ transport: String) async throws {
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        let d = try await Daemon(Daemon.settings(registrar: kam, transport: transport, regTimeout: 4))
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "\(d.log.text)")
        let bindings = try await kam.bindings(user: "7001")
        #expect(bindings.count == 1)
        #expect(bindings.first?.contact.contains("127.0.0.1:\(d.sipPort)") == true)
        if transport == "TCP" { #expect(bindings.first?.contact.contains("transport=tcp") == true) }
        // Granted 4 s: a refresh lands at 2.2–3.4 s. REGISTERs carrying Expires: 4
        // (keep-alive probes carry none): the first, its authenticated repeat,
        // then two refreshes within 10 s.
        let refreshes: @Sendable ([String]) -> Bool = { lines in lines.filter { $0.contains("REGISTER-IN") && $0.contains("expires=4 ") }.count >= 4 }
        #expect(await kam.log.wait(timeout: .seconds(10), refreshes), "\(kam.log.text)")
        let cseqs = kam.log.all.filter { $0.contains("REGISTER-SAVED") }.compactMap { line -> Int? in
            line.range(of: "cseq=").map { Int(line[$0.upperBound...].prefix { $0.isNumber }) ?? 0 }
        }
        #expect(cseqs == cseqs.sorted() && Set(cseqs).count == cseqs.count)
        // Same Call-ID for every refresh (RFC 3261 §10.2.4).
        let callIDs = Set(kam.log.all.filter { $0.contains("REGISTER-SAVED") }.compactMap { $0.split(separator: " ").first { $0.hasPrefix("ci=") } })
        #expect(callIDs.count == 1)
        #expect(try await kam.bindings(user: "7001").count == 1)
        #expect(await d.stop() == 0)
    }

    @Test(arguments: [(SIGTERM, "TCP"), (SIGINT, "UDP")])
    func unregistersOnSignal(_ sig: Int32, _ transport: String) async throws {
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        let d = try await Daemon(Daemon.settings(registrar: kam, transport: transport, regTimeout: 300))
        #expect(await d.log.waitFor("registration registered"))
        #expect(try await kam.bindings(user: "7001").count == 1)
        d.child.signal(sig)
        let status = await d.child.waitForExit(timeout: .seconds(10))
        #expect(status == 0)
        #expect(d.log.text.contains("unregister=done"))
        #expect(await kam.log.waitFor("expires=0", timeout: .seconds(3)))
        #expect(try await kam.bindings(user: "7001").isEmpty)
    }

    @Test func wrongPasswordIsTerminalWithoutRetryStorm() async throws {
        let kam = try await Kamailio(password: "right")
        defer { Task { await kam.stop() } }
        let d = try await Daemon(Daemon.settings(password: "wrong-password", registrar: kam))
        #expect(await d.log.waitFor("registration auth-failed", timeout: .seconds(10)), "\(d.log.text)")
        // The registrar's log is read from a pipe, so its lines may trail the
        // daemon's: await the two REGISTERs (the first and the one answering the
        // challenge), then watch a few seconds more for a third that must not come.
        #expect(await kam.log.waitFor("REGISTER-IN", count: 2, timeout: .seconds(3)), "\(kam.log.text)")
        #expect(await kam.log.waitFor("REGISTER-IN", count: 3, timeout: .seconds(3)) == false)
        #expect(kam.registerCount == 2)
        #expect(try await kam.bindings(user: "7001").isEmpty)
        #expect(!d.log.text.contains("wrong-password"))
        #expect(d.child.isRunning)
        #expect(await d.stop() == 0)
    }

    @Test func intervalTooBriefUsesMinExpires() async throws {
        let kam = try await Kamailio(minExpires: 120, minExpiresMode: 1)
        defer { Task { await kam.stop() } }
        let d = try await Daemon(Daemon.settings(registrar: kam, regTimeout: 30))
        #expect(await d.log.waitFor("registration registered"), "\(d.log.text)\n\(kam.log.text)")
        #expect(await kam.log.waitFor("expires=30", timeout: .seconds(3)))
        #expect(d.log.text.contains("expires=120"))
        let b = try await kam.bindings(user: "7001")
        #expect(b.count == 1 && (b.first?.expires ?? 0) > 100)
        #expect(await d.stop() == 0)
    }

    @Test func sha256DigestRegisters() async throws {
        let kam = try await Kamailio(algorithm: "SHA-256")
        defer { Task { await kam.stop() } }
        let d = try await Daemon(Daemon.settings(registrar: kam, transport: "TCP"))
        #expect(await d.log.waitFor("registration registered"), "\(d.log.text)\n\(kam.log.text)")
        #expect(try await kam.bindings(user: "7001").count == 1)
        #expect(await d.stop() == 0)
    }

    @Test func instanceIDSurvivesRestart() async throws {
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        let work = Paths.tempDirectory("restart")
        func instance(_ d: Daemon) -> String? {
            d.log.all.first { $0.contains("sipendpointd started") }.flatMap { l in l.range(of: "instance=").map { String(l[$0.upperBound...].prefix { $0 != " " }) } }
        }
        let first = try await Daemon(Daemon.settings(registrar: kam), work: work)
        #expect(await first.log.waitFor("registration registered"))
        let id1 = instance(first)
        #expect(await first.stop() == 0)
        let second = try await Daemon(Daemon.settings(registrar: kam), work: work)
        #expect(await second.log.waitFor("registration registered"))
        #expect(id1 != nil && id1 == instance(second))
        #expect(await kam.log.waitFor("urn:uuid:\(id1 ?? "-")", timeout: .seconds(3)))
        #expect(await second.stop() == 0)
    }

    @Test func unreachableRegistrarIsRetriedWithItsReason() async throws {
        // Nothing listens here: TCP connects are refused at once.
        let d = try await Daemon([
            "sipendpoint.user": "7001", "sipendpoint.password": "x",
            "sipendpoint.sip-server-address": LoopbackAddresses.next(), "sipendpoint.sip-server-port": "5999",
            "sipendpoint.transport-protocol": "TCP", "sipendpoint.proxies.proxy0.reg_interval": "1",
        ])
        #expect(await d.log.waitFor("registration retrying", count: 3, timeout: .seconds(15)), "\(d.log.text)")
        let reasons = d.log.all.filter { $0.contains("registration retrying") }
        #expect(reasons.allSatisfy { $0.contains("Connection refused") || $0.contains("connect failed") })
        #expect(await d.stop() == 0)
    }
}

@Suite(.serialized) struct RegistrationDetailTests {
    @Test func traceLogShowsMessagesWithCredentialsRedacted() async throws {
        let kam = try await Kamailio(password: "Tr4ce-Secret")
        defer { Task { await kam.stop() } }
        var s = Daemon.settings(password: "Tr4ce-Secret", registrar: kam)
        s["sipendpoint.log-level"] = "debug"
        let d = try await Daemon(s)
        #expect(await d.log.waitFor("registration registered"))
        #expect(await d.stop() == 0)
        let text = d.log.text
        #expect(text.contains("REGISTER sip:"))
        #expect(text.contains("Authorization: Digest <redacted>"))
        #expect(!text.contains("Tr4ce-Secret"))
        #expect(!text.contains("response=\\\""))
    }

    @Test func registersOverIPv6Loopback() async throws {
        let kam = try await Kamailio(address: "::1", port: UInt16(20_000 + getpid() % 20_000))
        defer { Task { await kam.stop() } }
        var s = Daemon.settings(registrar: kam, transport: "TCP")
        s["sipendpoint.local-address"] = "::1"
        s["sipendpoint.enable_ipv6"] = "true"
        s["sipendpoint.ip_version"] = "6"
        let d = try await Daemon(s)
        #expect(await d.log.waitFor("registration registered"), "\(d.log.text)\n\(kam.log.text)")
        #expect(await kam.log.waitFor("contact=<sip:7001@[::1]:\(d.sipPort);transport=tcp>", timeout: .seconds(3)))
        #expect(try await kam.bindings(user: "7001").first?.contact.contains("[::1]") == true)
        #expect(await d.stop() == 0)
    }

    @Test func tcpKeepAlivePingIsAnswered() async throws {
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        let d = try await Daemon(Daemon.settings(registrar: kam))
        let s = try SocketClient(tcpTo: "127.0.0.1", port: d.sipPort)
        s.send("\r\n\r\n")
        #expect(await s.receive(timeout: .seconds(5)) == .data([0x0D, 0x0A]))
        #expect(await d.stop() == 0)
    }
}

/// One binding per site across re-registrations within the process: a
/// restart of the registrations (`POST /register`, as the agent desktop or
/// a changed config does) keeps the REGISTER Call-ID and continues its CSeq
/// (RFC 3261 §10.2), so kamailio holds one binding, not one per restart.
@Suite struct RegistrationCallIDTests {
    @Test func restartsKeepTheCallIDAndOneBinding() async throws {
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        var s = Daemon.settings(registrar: kam, regTimeout: 300)
        let control = freePort()
        s["sipendpoint.control-port"] = String(control)
        let d = try await Daemon(s)
        #expect(await d.log.waitFor("registration registered"), "\(d.log.text)")
        for round in 1...3 {
            #expect(try await http("POST", "/register", port: control).status == 200)
            #expect(await kam.log.waitFor("REGISTER-SAVED", count: round + 1, timeout: .seconds(10)), "\(kam.log.text)")
        }
        let saved = kam.log.all.filter { $0.contains("REGISTER-SAVED") }
        let callIDs = Set(saved.compactMap { $0.split(separator: " ").first { $0.hasPrefix("ci=") } })
        let cseqs = saved.compactMap { line -> Int? in line.range(of: "cseq=").map { Int(line[$0.upperBound...].prefix { $0.isNumber }) ?? 0 } }
        #expect(callIDs.count == 1, "\(saved)")
        #expect(cseqs == cseqs.sorted() && Set(cseqs).count == cseqs.count, "\(cseqs)")
        #expect(try await kam.bindings(user: "7001").count == 1)
        #expect(await d.stop() == 0)
    }
}

/// A box that restarts — killed without unregistering, then started on
/// another port — still has one binding at kamailio: the new run's first
/// REGISTER removes the Contact the old run left (kept in the state
/// directory beside the instance id) while adding its own.
@Suite struct StaleBindingTests {
    @Test func restartOnAnotherPortLeavesOneBinding() async throws {
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        let work = Paths.tempDirectory("stale-binding")
        var s = Daemon.settings(registrar: kam, regTimeout: 600)
        s["sipendpoint.local-port"] = String(freeSIPPortPair())
        let first = try await Daemon(s, work: work)
        #expect(await first.log.waitFor("registration registered"), "\(first.log.text)")
        // The binding is remembered in the state directory as soon as it stands (bounded wait for the file).
        let remembered = work.appendingPathComponent("state/bindings").path
        for _ in 0..<100 where !((try? String(contentsOfFile: remembered, encoding: .utf8)) ?? "").contains(":\(first.sipPort)") {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(((try? String(contentsOfFile: remembered, encoding: .utf8)) ?? "").contains("preferred sip:7001@127.0.0.1:\(first.sipPort)"))
        first.child.kill9()
        _ = await first.child.waitForExit(timeout: .seconds(5))
        #expect(try await kam.bindings(user: "7001").count == 1)
        s["sipendpoint.local-port"] = String(freeSIPPortPair())
        s["sipendpoint.log-level"] = "trace" // the SIP messages, to see what the REGISTER carried
        let second = try await Daemon(s, work: work)
        #expect(await second.log.waitFor("registration registered"), "\(second.log.text)")
        // The first REGISTER of the new run removes the old run's Contact (kamailio
        // would also replace it by +sip.instance; registrars that match by Contact need this).
        #expect(second.log.text.contains("<sip:7001@127.0.0.1:\(first.sipPort)>;expires=0"),
                "\(second.log.all.filter { $0.contains("SIP sending") }.prefix(2))")
        let bindings = try await kam.bindings(user: "7001")
        #expect(bindings.count == 1 && bindings.first?.contact.contains(":\(second.sipPort)") == true, "\(bindings)")
        #expect(await second.stop() == 0)
    }
}

/// One binding per site, however often the flow breaks or the process
/// restarts (RFC 5626 reg-id + `+sip.instance`, one Call-ID per process,
/// the previous run's Contact removed).
@Suite struct OneBindingPerSiteTests {
    /// The TCP flow to the registrar is cut 100 times (a relay between the
    /// two closes both sides); each time the endpoint reconnects from a new
    /// source port and registers again, and kamailio still holds one binding.
    @Test func hundredReconnectsLeaveOneBinding() async throws {
        let kam = try await Kamailio(tcp: true)
        defer { Task { await kam.stop() } }
        let relayPort = freePort()
        let cutter = try ChildProcess("/usr/bin/env", ["python3", Paths.root.appendingPathComponent("testing/net/tcp-cutter.py").path,
                                                       "127.0.0.1", String(relayPort), kam.address, String(kam.port), "120"])
        defer { cutter.signal(SIGTERM) }
        #expect(await cutter.log.waitFor("listening", timeout: .seconds(5)))
        var s = Daemon.settings(registrar: kam, transport: "TCP", regTimeout: 600)
        s["sipendpoint.sbc-register-address"] = "127.0.0.1"
        s["sipendpoint.sbc-register-port"] = String(relayPort)
        s["sipendpoint.log-level"] = "trace"
        let d = try await Daemon(s)
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "\(d.log.text)")
        // RFC 5626: the Contact names its flow (reg-id) beside +sip.instance, and says it supports outbound.
        #expect(d.log.text.contains(";reg-id=1") && d.log.text.contains("Supported: outbound, path"),
                "\(d.log.all.filter { $0.contains("SIP sending") }.prefix(1))")
        var rounds = 0
        for round in 1...100 {
            cutter.signal(SIGUSR1)
            guard await cutter.log.waitFor("accepted \(round + 1)", timeout: .seconds(10)),
                  await kam.log.waitFor("REGISTER-SAVED", count: round + 1, timeout: .seconds(10)) else { break }
            rounds = round
        }
        #expect(rounds == 100, "reconnected \(rounds) times\n\(d.log.all.suffix(30).joined(separator: "\n"))")
        let bindings = try await kam.bindings(user: "7001")
        print("MEASURED 100 TCP reconnects through a cutting relay: \(rounds) re-registrations, \(bindings.count) binding at kamailio")
        #expect(bindings.count == 1, "\(bindings)")
        #expect(await d.stop() == 0)
    }

    /// Twenty runs of the daemon, each killed (SIGKILL, no unregistration)
    /// or stopped, each on a new port: kamailio holds one binding, the last one.
    @Test func twentyRestartsLeaveOneBinding() async throws {
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        let work = Paths.tempDirectory("twenty-restarts")
        var s = Daemon.settings(registrar: kam, regTimeout: 600)
        var last: Daemon?
        for run in 1...20 {
            s["sipendpoint.local-port"] = String(freeSIPPortPair())
            let d = try await Daemon(s, work: work)
            #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "run \(run): \(d.log.text)")
            // The binding is in the state directory before the next run needs it (bounded wait).
            let remembered = work.appendingPathComponent("state/bindings").path
            for _ in 0..<100 where !((try? String(contentsOfFile: remembered, encoding: .utf8)) ?? "").contains(":\(d.sipPort)") {
                try await Task.sleep(for: .milliseconds(20))
            }
            if run < 20 {
                if run % 2 == 0 { _ = await d.stop() } else { d.child.kill9(); _ = await d.child.waitForExit(timeout: .seconds(5)) }
            }
            last = d
        }
        let bindings = try await kam.bindings(user: "7001")
        print("MEASURED 20 restarts (10 killed, 10 stopped), each on a new port: \(bindings.count) binding at kamailio")
        #expect(bindings.count == 1 && bindings.first?.contact.contains(":\(last?.sipPort ?? 0)") == true, "\(bindings)")
        if let last { #expect(await last.stop() == 0) }
    }
}
