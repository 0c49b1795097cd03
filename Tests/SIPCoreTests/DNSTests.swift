import Testing
@testable import SIPCore

/// Builds DNS responses by hand for the codec tests.
struct DNSBuilder {
    var bytes: [UInt8] = []
    init(id: UInt16 = 0x1234, flags: UInt16 = 0x8180, name: String, type: UInt16, answers: Int, authority: Int = 0) {
        bytes = [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF), 0, 1, 0, UInt8(answers), 0, UInt8(authority), 0, 0]
        bytes += DNSBuilder.name(name) + [UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
    }
    static func name(_ n: String) -> [UInt8] {
        n.split(separator: ".").flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }
    mutating func record(_ nameBytes: [UInt8], type: UInt16, ttl: UInt32 = 300, rdata: [UInt8]) {
        bytes += nameBytes + [UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
        bytes += [UInt8(ttl >> 24), UInt8((ttl >> 16) & 0xFF), UInt8((ttl >> 8) & 0xFF), UInt8(ttl & 0xFF)]
        bytes += [UInt8(rdata.count >> 8), UInt8(rdata.count & 0xFF)] + rdata
    }
    static func srv(_ p: UInt16, _ w: UInt16, _ port: UInt16, _ target: String) -> [UInt8] {
        [UInt8(p >> 8), UInt8(p & 0xFF), UInt8(w >> 8), UInt8(w & 0xFF), UInt8(port >> 8), UInt8(port & 0xFF)] + name(target)
    }
}

@Suite struct DNSWireTests {
    @Test func queryEncoding() {
        let q = DNSWire.query(id: 0xBEEF, name: "_sip._udp.example.test", type: .srv)
        #expect(Array(q[0..<4]) == [0xBE, 0xEF, 0x01, 0x00])
        #expect(Array(q[12...]) == DNSBuilder.name("_sip._udp.example.test") + [0, 33, 0, 1])
    }

    @Test func decodesAnswersWithCompression() throws {
        var b = DNSBuilder(name: "_sip._udp.example.test", type: 33, answers: 3)
        let pointer: [UInt8] = [0xC0, 12] // the question name
        b.record(pointer, type: 33, ttl: 60, rdata: DNSBuilder.srv(10, 5, 5060, "a.example.test"))
        b.record(pointer, type: 33, ttl: 120, rdata: DNSBuilder.srv(20, 0, 5062, "b.example.test"))
        b.record(DNSBuilder.name("a.example.test"), type: 1, rdata: [127, 0, 0, 11])
        let r = try DNSWire.parse(b.bytes)
        #expect(r.id == 0x1234)
        #expect(r.questionName == "_sip._udp.example.test")
        #expect(r.answers.count == 3)
        #expect(r.answers[0].record == .srv(priority: 10, weight: 5, port: 5060, target: "a.example.test"))
        #expect(r.answers[1].ttl == 120)
        #expect(r.answers[2].record == .a("127.0.0.11"))
    }

    @Test func decodesAAAAAndNAPTR() throws {
        var b = DNSBuilder(name: "example.test", type: 35, answers: 2)
        let naptr: [UInt8] = [0, 10, 0, 20, 1] + Array("S".utf8) + [7] + Array("SIP+D2T".utf8) + [0] + DNSBuilder.name("_sip._tcp.example.test")
        b.record([0xC0, 12], type: 35, rdata: naptr)
        b.record([0xC0, 12], type: 28, rdata: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])
        let r = try DNSWire.parse(b.bytes)
        #expect(r.answers[0].record == .naptr(order: 10, preference: 20, flags: "S", service: "SIP+D2T", regexp: "", replacement: "_sip._tcp.example.test"))
        #expect(r.answers[1].record == .aaaa("2001:db8::1"))
    }

    @Test func rejectsHostileAnswers() {
        // Compression loop: a pointer to itself.
        var loop = DNSBuilder(name: "x.test", type: 1, answers: 1)
        let at = loop.bytes.count
        loop.record([0xC0, UInt8(at)], type: 1, rdata: [1, 2, 3, 4])
        #expect(throws: DNSError.self) { try DNSWire.parse(loop.bytes) }
        // Forward pointer (would allow loops).
        var forward = DNSBuilder(name: "x.test", type: 1, answers: 1)
        forward.record([0xC0, 0xFF], type: 1, rdata: [1, 2, 3, 4])
        #expect(throws: DNSError.self) { try DNSWire.parse(forward.bytes) }
        // Record data longer than the message.
        var long = DNSBuilder(name: "x.test", type: 1, answers: 1)
        long.record([0xC0, 12], type: 1, rdata: [1, 2, 3, 4])
        #expect(throws: DNSError.self) { try DNSWire.parse(Array(long.bytes.dropLast(2))) }
        // Wrong A length, label past the end, not a response, no question.
        var badA = DNSBuilder(name: "x.test", type: 1, answers: 1)
        badA.record([0xC0, 12], type: 1, rdata: [1, 2, 3])
        #expect(throws: DNSError.self) { try DNSWire.parse(badA.bytes) }
        #expect(throws: DNSError.self) { try DNSWire.parse([0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 9, 0x61]) }
        #expect(throws: DNSError.self) { try DNSWire.parse(DNSBuilder(flags: 0x0100, name: "x.test", type: 1, answers: 0).bytes) }
        #expect(throws: DNSError.self) { try DNSWire.parse([0, 0, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]) }
        #expect(throws: DNSError.self) { try DNSWire.parse([]) }
    }

    @Test func randomGarbageNeverCrashes() {
        let rng = RandomSource.seeded(99)
        var seed = DNSBuilder(name: "_sip._udp.example.test", type: 33, answers: 1)
        seed.record([0xC0, 12], type: 33, rdata: DNSBuilder.srv(10, 5, 5060, "a.example.test"))
        for _ in 0..<20_000 {
            var b = seed.bytes
            for _ in 0..<3 { b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            if rng.next() % 3 == 0 { b = Array(b.prefix(Int(rng.next() % UInt64(b.count)))) }
            _ = try? DNSWire.parse(b)
        }
    }
}

@Suite struct SRVSelectionTests {
    @Test func priorityOrderIsStrict() {
        let records = [SRVRecord(priority: 20, weight: 100, port: 1, target: "c"), SRVRecord(priority: 10, weight: 0, port: 1, target: "a"),
                       SRVRecord(priority: 10, weight: 0, port: 2, target: "b"), SRVRecord(priority: 30, weight: 1, port: 1, target: ".")]
        for seed in 0..<20 {
            let o = SRVSelection.order(records, random: .seeded(UInt64(seed)))
            #expect(o.map(\.priority) == [10, 10, 20])
            #expect(!o.contains { $0.target == "." })
        }
    }

    @Test func weightsAreHonoured() {
        let records = [SRVRecord(priority: 10, weight: 60, port: 1, target: "heavy"), SRVRecord(priority: 10, weight: 30, port: 1, target: "mid"),
                       SRVRecord(priority: 10, weight: 10, port: 1, target: "light")]
        var first: [String: Int] = [:]
        let random = RandomSource.seeded(7)
        let n = 20_000
        for _ in 0..<n { first[SRVSelection.order(records, random: random)[0].target, default: 0] += 1 }
        #expect(abs(Double(first["heavy"]!) / Double(n) - 0.6) < 0.03)
        #expect(abs(Double(first["mid"]!) / Double(n) - 0.3) < 0.03)
        #expect(abs(Double(first["light"]!) / Double(n) - 0.1) < 0.03)
    }
}

@Suite struct RegistrationTargetRulesTests {
    @Test(arguments: [
        // sbc address, sbc port, expected host, expected port (nil = SRV)
        (nil as String?, nil as UInt16?, "sipserver.example.com", 5070 as UInt16?),
        ("", nil, "sipserver.example.com", 5070),
        ("sbc.example.com", nil, "sbc.example.com", 5070),
        ("sbc.example.com", 5080, "sbc.example.com", 5080),
        ("cluster.example.com", 0, "cluster.example.com", nil),
        (nil, 0, "sipserver.example.com", nil),
        ("192.0.2.7", 5090, "192.0.2.7", 5090),
        ("[2001:db8::7]", nil, "[2001:db8::7]", 5070),
    ])
    func genesysRules(_ sbcAddress: String?, _ sbcPort: UInt16?, _ host: String, _ port: UInt16?) throws {
        let spec = try RegistrationTargetRules.spec(sipServerAddress: "sipserver.example.com", sipServerPort: 5070,
                                                    sbcRegisterAddress: sbcAddress, sbcRegisterPort: sbcPort, transport: .tcp)
        #expect(spec.host == host)
        #expect(spec.port == port)
        #expect(spec.kind == .tcp)
    }

    @Test func ipLiteralWithSRVPortIsAnError() {
        for literal in ["192.0.2.7", "[2001:db8::7]"] {
            #expect(throws: RegistrationTargetError.self) {
                try RegistrationTargetRules.spec(sipServerAddress: "s", sipServerPort: 5060, sbcRegisterAddress: literal, sbcRegisterPort: 0, transport: .udp)
            }
        }
    }

    @Test func numericPortWithoutTransportMeansUDPButSRVLeavesItToNAPTR() throws {
        let numeric = try RegistrationTargetRules.spec(sipServerAddress: "s.example", sipServerPort: 5060, sbcRegisterAddress: nil, sbcRegisterPort: nil, transport: nil)
        #expect(numeric.kind == .udp)
        let srv = try RegistrationTargetRules.spec(sipServerAddress: "s.example", sipServerPort: 5060, sbcRegisterAddress: nil, sbcRegisterPort: 0, transport: nil)
        #expect(srv.kind == nil && srv.port == nil)
    }
}

@Suite struct TargetResolverTests {
    let hosts = HostsFile(entries: [("dual.test", "192.0.2.1"), ("dual.test", "2001:db8::1")])
    let dns = DNSResolver(servers: [SocketAddress(ip: "127.0.0.1", port: 9)!], timeout: .milliseconds(50), attempts: 1)

    @Test(arguments: [([SocketAddress.Family.ipv4, .ipv6], ["192.0.2.1", "2001:db8::1"]),
                      ([.ipv6, .ipv4], ["2001:db8::1", "192.0.2.1"]),
                      ([.ipv4], ["192.0.2.1"]), ([.ipv6], ["2001:db8::1"])])
    func ipVersionOrdersAndFiltersFamilies(_ families: [SocketAddress.Family], _ expected: [String]) async throws {
        let r = SIPTargetResolver(dns: dns, families: families, random: .seeded(1), hosts: hosts)
        let targets = try await r.resolve(SIPTargetSpec(host: "dual.test", port: 5070, kind: .tcp))
        #expect(targets.map(\.address.ip) == expected)
        #expect(targets.allSatisfy { $0.address.port == 5070 && $0.kind == .tcp && $0.serverName == "dual.test" })
    }

    @Test func literalsNeedTheirFamilyEnabled() async throws {
        let v4only = SIPTargetResolver(dns: dns, families: [.ipv4], random: .seeded(1), hosts: hosts)
        #expect(try await v4only.resolve(SIPTargetSpec(host: "192.0.2.9", port: nil, kind: .tls)).first?.address.port == 5061)
        await #expect(throws: DNSLookupError.self) { try await v4only.resolve(SIPTargetSpec(host: "[2001:db8::9]", port: 5060, kind: .udp)) }
    }
}
