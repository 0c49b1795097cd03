import Foundation
import SIPCore
import Testing

/// RFC 3263 with a real DNS server (dnsmasq) and real registrars.
@Suite(.serialized) struct DNSFailoverTests {
    @Test func resolverAgainstDnsmasq() async throws {
        var records = ["--local=/dns.test/", "--host-record=a.dns.test,127.0.0.11", "--host-record=v6.dns.test,2001:db8::5",
                       "--srv-host=_sip._udp.dns.test,a.dns.test,5060,10,0"]
        // Enough SRV records that the UDP answer is truncated: TCP must be used.
        for i in 0..<40 { records.append("--srv-host=_sip._tcp.big.dns.test,host-with-a-long-name-\(i).big.dns.test,5060,10,\(i)") }
        let dns = try await Dnsmasq(records: records)
        defer { Task { await dns.stop() } }
        let resolver = DNSResolver(servers: [SocketAddress(ip: dns.address, port: dns.port)!], timeout: .seconds(1), attempts: 2)
        func lookup(_ name: String, _ type: DNSRecordType) async -> Result<[DNSAnswer], DNSLookupError> {
            await withCheckedContinuation { c in resolver.lookup(name, type) { c.resume(returning: $0) } }
        }
        #expect(try await lookup("a.dns.test", .a).get().map(\.record) == [.a("127.0.0.11")])
        #expect(try await lookup("v6.dns.test", .aaaa).get().map(\.record) == [.aaaa("2001:db8::5")])
        #expect(try await lookup("nothing.dns.test", .a).get().isEmpty)
        let big = try await lookup("_sip._tcp.big.dns.test", .srv).get()
        #expect(big.count == 40)
        #expect(dns.log.text.contains("query[SRV] _sip._tcp.big.dns.test"))
        // Answers come from the cache while their TTL runs.
        let before = resolver.wireQueries
        _ = try await lookup("a.dns.test", .a).get()
        #expect(resolver.wireQueries == before)
    }

    @Test func silentServerTimesOutWithinBounds() async throws {
        // A UDP socket that never answers.
        let mute = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(mute) }
        let addr = SocketAddress(ip: LoopbackAddresses.next(), port: 5353)!
        _ = addr.withSockAddr { bind(mute, $0, $1) }
        let resolver = DNSResolver(servers: [addr], timeout: .milliseconds(300), attempts: 2)
        let start = ContinuousClock.now
        let r = await withCheckedContinuation { c in resolver.lookup("x.test", .a) { c.resume(returning: $0) } }
        let elapsed = ContinuousClock.now - start
        guard case .failure(let e) = r else { Issue.record("expected a timeout"); return }
        #expect(e.reason.contains("timed out"))
        #expect(elapsed >= .milliseconds(500) && elapsed < .seconds(3))
    }

    /// Two registrars behind one SRV name; the priority-10 one is used, and
    /// when it dies the next target takes over.
    @Test(arguments: ["UDP", "TCP"])
    func srvPriorityAndFailover(_ transport: String) async throws {
        let primary = try await Kamailio()
        let secondary = try await Kamailio()
        defer { Task { await secondary.stop() } }
        let proto = transport == "UDP" ? "_sip._udp" : "_sip._tcp"
        let dns = try await Dnsmasq(records: [
            "--srv-host=\(proto).cluster.test,primary.cluster.test,5060,10,0",
            "--srv-host=\(proto).cluster.test,secondary.cluster.test,5060,20,0",
            "--host-record=primary.cluster.test,\(primary.address)",
            "--host-record=secondary.cluster.test,\(secondary.address)",
        ])
        defer { Task { await dns.stop() } }
        var s = Daemon.settings(registrar: primary, transport: transport, regTimeout: 3)
        s["sipendpoint.sip-server-address"] = "cluster.test"
        s["sipendpoint.sbc-register-address"] = "cluster.test"
        s["sipendpoint.sbc-register-port"] = "0"
        s["sipendpoint.dns-server"] = dns.server
        s["sipendpoint.timers.t1"] = "50" // UDP timeouts after 64·T1 = 3.2 s
        let d = try await Daemon(s)
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "\(d.log.text)")
        #expect(try await primary.bindings(user: "7001").count == 1)
        #expect(secondary.registerCount == 0)
        #expect(dns.log.text.contains("query[SRV] \(proto).cluster.test"))
        await primary.stop()
        // The next refresh (within ~3 s) fails on the primary and moves to the secondary.
        let moved = await secondary.log.waitFor("REGISTER-SAVED", timeout: .seconds(20))
        #expect(moved)
        if !moved { print(d.log.text) }
        #expect(try await secondary.bindings(user: "7001").count == 1)
        #expect(d.log.text.contains("registration failing over") || d.log.text.contains("registration targets resolved"))
        #expect(await d.stop() == 0)
    }

    @Test func serviceUnavailableMovesToTheNextTargetAtOnce() async throws {
        let busy = try await Kamailio(defines: ["REPLY_503"])
        defer { Task { await busy.stop() } }
        let spare = try await Kamailio()
        defer { Task { await spare.stop() } }
        let dns = try await Dnsmasq(records: [
            "--srv-host=_sip._udp.busy.test,one.busy.test,5060,10,0", "--srv-host=_sip._udp.busy.test,two.busy.test,5060,20,0",
            "--host-record=one.busy.test,\(busy.address)", "--host-record=two.busy.test,\(spare.address)",
        ])
        defer { Task { await dns.stop() } }
        var s = Daemon.settings(registrar: busy, transport: "UDP")
        s["sipendpoint.sip-server-address"] = "busy.test"
        s["sipendpoint.sbc-register-port"] = "0"
        s["sipendpoint.dns-server"] = dns.server
        let d = try await Daemon(s)
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "\(d.log.text)")
        #expect(busy.log.count("REGISTER-503") == 1)
        #expect(try await spare.bindings(user: "7001").count == 1)
        #expect(d.log.text.contains("503"))
        #expect(await d.stop() == 0)
    }

    @Test func naptrChoosesTheTransportWhenNoneIsForced() async throws {
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        let dns = try await Dnsmasq(records: [
            "--naptr-record=auto.test,10,10,S,SIP+D2T,,_sip._tcp.auto.test",
            "--naptr-record=auto.test,20,10,S,SIP+D2U,,_sip._udp.auto.test",
            "--srv-host=_sip._tcp.auto.test,reg.auto.test,5060,10,0",
            "--srv-host=_sip._udp.auto.test,reg.auto.test,5060,10,0",
            "--host-record=reg.auto.test,\(kam.address)",
        ])
        defer { Task { await dns.stop() } }
        var s = Daemon.settings(registrar: kam)
        s["sipendpoint.transport-protocol"] = nil
        s["sipendpoint.sip-server-address"] = "auto.test"
        s["sipendpoint.sbc-register-port"] = "0"
        s["sipendpoint.dns-server"] = dns.server
        let d = try await Daemon(s)
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "\(d.log.text)")
        #expect(kam.log.text.contains("proto=tcp"))
        #expect(dns.log.text.contains("query[NAPTR] auto.test"))
        #expect(await d.stop() == 0)
    }
}
