import Foundation
import SIPCore
import Testing

/// TLS to a real kamailio (tls module) with certificates made by openssl.
@Suite(.serialized) struct TLSTests {
    static let serverName = "sip.tls.test"

    /// A TLS registrar whose name resolves through dnsmasq, and a daemon config for it.
    func setup(pki: TestPKI, serverCert: String = "server", requireClient: Bool = false,
               srv: Bool = false) async throws -> (Kamailio, Dnsmasq, [String: String]) {
        let kam = try await Kamailio(tls: TLSServerSetup(certificate: pki.path("\(serverCert).crt"), key: pki.path("\(serverCert).key"),
                                                         ca: pki.path("ca.crt"), requireClientCertificate: requireClient))
        let dns = try await Dnsmasq(records: ["--host-record=\(Self.serverName),\(kam.address)",
                                              "--srv-host=_sips._tcp.tls.test,\(Self.serverName),5061,10,0"])
        var s = Daemon.settings(registrar: kam, transport: "TLS")
        s["sipendpoint.sip-server-address"] = Self.serverName
        s["sipendpoint.sip-server-port"] = "5061"
        s["sipendpoint.dns-server"] = dns.server
        if srv { dns.useSRVDomain("tls.test", in: &s) }
        s["sipendpoint.tls.ca-file"] = pki.path("ca.crt")
        return (kam, dns, s)
    }

    @Test func registersOverTLSAndAfterSRVChecksTheTargetName() async throws {
        let pki = try await TestPKI.make(serverName: Self.serverName)
        for srv in [false, true] {
            let (kam, dns, s) = try await setup(pki: pki, srv: srv)
            let d = try await Daemon(s)
            #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "\(d.log.text)\n\(kam.log.text)")
            #expect(d.log.text.contains("TLS connection open"))
            #expect(await kam.log.waitFor("proto=tls", timeout: .seconds(3)))
            #expect(try await kam.bindings(user: "7001").first?.contact.contains("transport=tls") == true)
            #expect(await d.stop() == 0)
            #expect(try await kam.bindings(user: "7001").isEmpty)
            await dns.stop()
            await kam.stop()
        }
    }

    @Test func mutualTLSNeedsTheClientCertificate() async throws {
        let pki = try await TestPKI.make(serverName: Self.serverName)
        let (kam, dns, s) = try await setup(pki: pki, requireClient: true)
        defer { Task { await dns.stop(); await kam.stop() } }
        let without = try await Daemon(s)
        #expect(await without.log.waitFor("registration retrying", timeout: .seconds(10)))
        let reason = without.log.all.first { $0.contains("registration retrying") } ?? ""
        #expect(reason.contains("client certificate rejected") || reason.contains("handshake failure"), "\(reason)")
        #expect(await without.stop() == 0)
        var with = s
        with["sipendpoint.tls.certificate-file"] = pki.path("client.crt")
        with["sipendpoint.tls.private-key-file"] = pki.path("client.key")
        let d = try await Daemon(with)
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "\(d.log.text)")
        #expect(await d.stop() == 0)
    }

    @Test(arguments: [("expired", "server certificate expired"), ("notyet", "server certificate not yet valid"),
                      ("wronghost", "hostname mismatch"), ("rogue", "unknown CA")])
    func badServerCertificatesFailWithTheirReason(_ cert: String, _ phrase: String) async throws {
        let pki = try await TestPKI.make(serverName: Self.serverName)
        let (kam, dns, s) = try await setup(pki: pki, serverCert: cert)
        defer { Task { await dns.stop(); await kam.stop() } }
        let d = try await Daemon(s)
        #expect(await d.log.waitFor("registration retrying", timeout: .seconds(10)))
        let line = d.log.all.first { $0.contains("registration retrying") } ?? ""
        #expect(line.contains(phrase), "\(line)")
        // No retry storm: with a 1 s base the backoff allows a handful of attempts in 4 s.
        _ = await d.log.waitFor("registration retrying", count: 10, timeout: .seconds(4))
        #expect(d.log.count("registration retrying") <= 4)
        #expect(kam.registerCount == 0)
        #expect(await d.stop() == 0)
    }

    @Test func encryptedKeyIsRefusedAtStart() async throws {
        let pki = try await TestPKI.make(serverName: Self.serverName)
        let d = try await Daemon([
            "sipendpoint.user": "7001", "sipendpoint.sip-server-address": Self.serverName, "sipendpoint.transport-protocol": "TLS",
            "sipendpoint.tls.certificate-file": pki.path("client.crt"), "sipendpoint.tls.private-key-file": pki.path("client-encrypted.key"),
        ], waitStarted: false)
        #expect(await d.child.waitForExit(timeout: .seconds(10)) == 78)
        #expect(d.log.text.contains("the private key is encrypted"), "\(d.log.text)")
    }

    @Test func verifyPeerOffWarnsLoudly() async throws {
        let pki = try await TestPKI.make(serverName: Self.serverName)
        let (kam, dns, s0) = try await setup(pki: pki, serverCert: "rogue")
        defer { Task { await dns.stop(); await kam.stop() } }
        var s = s0
        s["sipendpoint.tls.verify-peer"] = "false"
        let d = try await Daemon(s)
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "\(d.log.text)")
        #expect(d.log.text.contains("WARNING") && d.log.text.contains("NOT verified"))
        #expect(await d.stop() == 0)
    }
}
