import Foundation
import SIPCore

/// A real kamailio registrar on a loopback address (in-memory location
/// table, digest auth with one password), from testing/kamailio.
final class Kamailio: @unchecked Sendable {
    let address: String
    let port: UInt16
    let work: URL
    let child: ChildProcess
    var log: LineLog { child.log }

    init(address: String = LoopbackAddresses.next(), port: UInt16 = 5060, password: String = "secret",
         minExpires: Int = 1, algorithm: String = "MD5", minExpiresMode: Int = 0, tcp: Bool = true,
         defines: [String] = [], tls: TLSServerSetup? = nil, netns: String? = nil) async throws {
        self.address = address
        self.port = port
        work = Paths.tempDirectory("kamailio")
        let template = try String(contentsOf: Paths.root.appendingPathComponent("testing/kamailio/registrar.cfg.in"), encoding: .utf8)
        var listen = "listen=udp:\(address.contains(":") ? "[\(address)]" : address):\(port)"
        if tcp { listen += "\nlisten=tcp:\(address.contains(":") ? "[\(address)]" : address):\(port)" }
        var tlsBlock = ""
        if let tls {
            listen += "\nlisten=tls:\(address):\(tls.port)\nenable_tls=yes"
            let tlsCfg = work.appendingPathComponent("tls.cfg")
            try """
            [server:default]
            method = TLSv1.2+
            verify_certificate = \(tls.requireClientCertificate ? "yes" : "no")
            require_certificate = \(tls.requireClientCertificate ? "yes" : "no")
            private_key = \(tls.key)
            certificate = \(tls.certificate)
            ca_list = \(tls.ca)

            [client:default]
            verify_certificate = no
            require_certificate = no

            """.write(to: tlsCfg, atomically: true, encoding: .utf8)
            tlsBlock = "loadmodule \"tls.so\"\nmodparam(\"tls\", \"config\", \"\(tlsCfg.path)\")"
        }
        var cfg = template
            .replacingOccurrences(of: "@LISTEN@", with: listen)
            .replacingOccurrences(of: "@PASSWORD@", with: password)
            .replacingOccurrences(of: "@MIN_EXPIRES@", with: String(minExpires))
            .replacingOccurrences(of: "@ALGORITHM@", with: algorithm)
            .replacingOccurrences(of: "@CTL_SOCKET@", with: work.appendingPathComponent("ctl.sock").path)
            .replacingOccurrences(of: "@TLS@", with: tlsBlock)
        cfg = cfg.replacingOccurrences(of: "modparam(\"registrar\", \"min_expires\"", with: "modparam(\"registrar\", \"min_expires_mode\", \(minExpiresMode))\nmodparam(\"registrar\", \"min_expires\"")
        let cfgPath = work.appendingPathComponent("kamailio.cfg")
        try cfg.write(to: cfgPath, atomically: true, encoding: .utf8)
        let wrapper = netns.map { ["netns", "exec", $0, "/usr/sbin/kamailio"] } ?? []
        child = try ChildProcess(netns == nil ? "/usr/sbin/kamailio" : "/usr/sbin/ip", wrapper + ["-f", cfgPath.path, "-DD", "-E", "-m", "32", "-M", "8",
                                                        "-P", work.appendingPathComponent("kamailio.pid").path, "-Y", work.path]
                                                        + defines.flatMap { ["-A", $0] })
        try await waitReady(probe: netns == nil)
    }

    /// Ready once the control socket's process logs that it listens (the
    /// SIP sockets are bound before that) and an OPTIONS gets its answer.
    private func waitReady(probe: Bool) async throws {
        if await log.waitFor("io_listen_loop", timeout: .seconds(10)) {
            if !probe { return }
            let client = try SocketClient(udpTo: address, port: port)
            for i in 0..<10 {
                client.send(optionsProbe(to: address, port: port, callID: "ready-\(i)", localPort: client.localPort))
                if case .data = await client.receive(timeout: .milliseconds(500)) { return }
            }
        }
        throw KamailioError(reason: "kamailio did not come up on \(address):\(port):\n\(log.text.suffix(2000))")
    }

    /// Contacts bound to an AOR user, with their remaining lifetime, via kamcmd.
    func bindings(user: String) async throws -> [(contact: String, expires: Int)] {
        let (_, out) = try await runCommand("/usr/sbin/kamcmd", ["-s", "unix:" + work.appendingPathComponent("ctl.sock").path, "ul.dump"])
        var result: [(String, Int)] = []
        var inAOR = false
        var contact: String?
        for line in out.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("AoR:") { inAOR = line == "AoR: \(user)" }
            guard inAOR else { continue }
            if line.hasPrefix("Address:") { contact = String(line.dropFirst("Address:".count)).trimmingCharacters(in: .whitespaces) }
            if line.hasPrefix("Expires:"), let c = contact {
                result.append((c, Int(line.dropFirst("Expires:".count).trimmingCharacters(in: .whitespaces)) ?? -1))
                contact = nil
            }
        }
        return result
    }

    /// REGISTER requests received so far (each one logged on arrival).
    var registerCount: Int { log.count("REGISTER-IN") }

    func stop() async {
        child.signal(SIGTERM)
        if await child.waitForExit(timeout: .seconds(5)) == nil { child.kill9() }
        try? FileManager.default.removeItem(at: work)
    }
}

struct KamailioError: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

/// Server side of a TLS test registrar.
struct TLSServerSetup {
    var certificate: String
    var key: String
    var ca: String
    var requireClientCertificate = false
    var port: UInt16 = 5061
}
