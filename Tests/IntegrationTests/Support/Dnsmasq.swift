import Foundation

/// A real DNS server (dnsmasq) on a loopback address, answering only from
/// the records the test gives it.
final class Dnsmasq: @unchecked Sendable {
    let address: String
    let port: UInt16
    let child: ChildProcess
    var log: LineLog { child.log }

    /// `records` are dnsmasq options such as `--srv-host=...`, `--host-record=...`.
    init(address: String = LoopbackAddresses.next(), port: UInt16 = 5353, records: [String]) async throws {
        self.address = address
        self.port = port
        child = try ChildProcess("/usr/sbin/dnsmasq", [
            "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll",
            "--bind-interfaces", "--listen-address=\(address)", "--port=\(port)", "--pid-file=",
            "--log-queries", "--log-facility=-", "--user=root", "--cache-size=0", "--local-ttl=300",
        ] + records)
        // Ready once it reports its listening setup (it logs "started" on start).
        guard await log.waitFor("started", timeout: .seconds(10)) else {
            throw KamailioError(reason: "dnsmasq did not start:\n\(log.text)")
        }
    }

    var server: String { "\(address):\(port)" }

    /// Points daemon settings at `domain` as a DNS SRV domain (the Genesys
    /// rule: register port 0) resolved through this server.
    func useSRVDomain(_ domain: String, in settings: inout [String: String]) {
        settings["sipendpoint.sip-server-address"] = domain
        settings["sipendpoint.sbc-register-port"] = "0"
        settings["sipendpoint.dns-server"] = server
    }

    func stop() async {
        child.signal(SIGTERM)
        if await child.waitForExit(timeout: .seconds(5)) == nil { child.kill9() }
    }
}
