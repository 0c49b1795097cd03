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
        #expect(await dns.log.waitFor("query[SRV] _sip._tcp.big.dns.test", timeout: .seconds(3)))
        // Answers come from the cache while their TTL runs.
        let before = resolver.wireQueries
        _ = try await lookup("a.dns.test", .a).get()
        #expect(resolver.wireQueries == before)
    }

    @Test func silentServerTimesOutWithinBounds() async throws {
        // A UDP socket that never answers.
        let mute = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
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
    @Test(arguments: ["UDP", "TCP", "TLS"])
    func srvPriorityAndFailover(_ transport: String) async throws {
        let pki = transport == "TLS" ? try await TestPKI.make(serverName: "sip.tls.test") : nil
        let tls = pki.map { TLSServerSetup(certificate: $0.path("server.crt"), key: $0.path("server.key"), ca: $0.path("ca.crt")) }
        let primary = try await Kamailio(tls: tls)
        let secondary = try await Kamailio(tls: tls)
        defer { Task { await secondary.stop() } }
        let proto = ["UDP": "_sip._udp", "TCP": "_sip._tcp", "TLS": "_sips._tcp"][transport]!
        let port = transport == "TLS" ? 5061 : 5060
        let dns = try await Dnsmasq(records: [
            "--srv-host=\(proto).cluster.test,primary.cluster.test,\(port),10,0",
            "--srv-host=\(proto).cluster.test,secondary.cluster.test,\(port),20,0",
            "--host-record=primary.cluster.test,\(primary.address)",
            "--host-record=secondary.cluster.test,\(secondary.address)",
        ])
        defer { Task { await dns.stop() } }
        var s = Daemon.settings(registrar: primary, transport: transport, regTimeout: 3)
        dns.useSRVDomain("cluster.test", in: &s)
        s["sipendpoint.sbc-register-address"] = "cluster.test"
        s["sipendpoint.timers.t1"] = "50" // UDP timeouts after 64·T1 = 3.2 s
        if let pki { s["sipendpoint.tls.ca-file"] = pki.path("ca.crt") }
        let d = try await Daemon(s)
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "\(d.log.text)")
        #expect(try await primary.bindings(user: "7001").count == 1)
        #expect(secondary.registerCount == 0)
        #expect(await dns.log.waitFor("query[SRV] \(proto).cluster.test", timeout: .seconds(3)))
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
        dns.useSRVDomain("busy.test", in: &s)
        let d = try await Daemon(s)
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "\(d.log.text)")
        #expect(await busy.log.waitFor("REGISTER-503", timeout: .seconds(3)))
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
        dns.useSRVDomain("auto.test", in: &s)
        let d = try await Daemon(s)
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "\(d.log.text)")
        #expect(await kam.log.waitFor("proto=tcp", timeout: .seconds(3)))
        #expect(await dns.log.waitFor("query[NAPTR] auto.test", timeout: .seconds(3)))
        #expect(await d.stop() == 0)
    }
}

@Suite struct DNSSpoofingTests {
    /// Answers from the wrong address or with the wrong id are ignored; the
    /// genuine answer that follows is used.
    @Test func wrongSourceAndWrongIDAreIgnored() async throws {
        let ip = LoopbackAddresses.next()
        let server = SocketAddress(ip: ip, port: 5353)!
        let a = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0), b = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(a); close(b) }
        #expect(server.withSockAddr { bind(a, $0, $1) } == 0)
        #expect(SocketAddress(ip: ip, port: 5354)!.withSockAddr { bind(b, $0, $1) } == 0)
        let fds = (a, b)
        // A dedicated thread: the fake server must run even when the test pool is busy.
        let served = OnceFlag()
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            served.set(Self.serveOnce(fds))
            finished.signal()
        }
        thread.start()
        let resolver = DNSResolver(servers: [server], timeout: .seconds(4), attempts: 1)
        let r = await withCheckedContinuation { c in resolver.lookup("spoof.test", .a) { c.resume(returning: $0) } }
        _ = await offPool { finished.wait(timeout: .now() + 6) }
        #expect(served.value)
        #expect(try r.get().map(\.record) == [.a("192.0.2.55")])
    }

    static func serveOnce(_ fds: (Int32, Int32)) -> Bool {
        do {
            var buf = [UInt8](repeating: 0, count: 512)
            var ss = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            var pfd = pollfd(fd: fds.0, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 5000) > 0 else { return false }
            let n = buf.withUnsafeMutableBytes { p in withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fds.0, p.baseAddress, p.count, 0, $0, &len) } } }
            guard n > 12 else { return false }
            let query = Array(buf[0..<n])
            func answer(id: [UInt8], ip: [UInt8]) -> [UInt8] {
                var r = id + [0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0] + Array(query[12...])
                r += [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4] + ip
                return r
            }
            let id = Array(query[0..<2])
            let spoofed = answer(id: id, ip: [192, 0, 2, 66])
            let wrongID = answer(id: [id[0] ^ 0xFF, id[1]], ip: [192, 0, 2, 77])
            let genuine = answer(id: id, ip: [192, 0, 2, 55])
            withUnsafePointer(to: &ss) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    _ = sendto(fds.1, spoofed, spoofed.count, 0, sa, len)
                    _ = sendto(fds.0, wrongID, wrongID.count, 0, sa, len)
                    _ = sendto(fds.0, genuine, genuine.count, 0, sa, len)
                }
            }
            return true
        }
    }
}

/// A Bool set once from another thread.
final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var v = false
    func set(_ x: Bool) { lock.lock(); v = x; lock.unlock() }
    var value: Bool { lock.lock(); defer { lock.unlock() }; return v }
}
