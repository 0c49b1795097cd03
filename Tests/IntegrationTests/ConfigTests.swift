import Foundation
import Testing

/// Config errors stop the daemon with EX_CONFIG and say what, where and why.
@Suite struct ConfigTests {
    func write(_ text: String) throws -> String {
        let dir = Paths.tempDirectory("config")
        let path = dir.appendingPathComponent("bad.conf").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func unknownKeyNamesLineAndClosestKey() async throws {
        let path = try write("sipendpoint.user = 7001\nsipendpoint.sip-server-address = 127.0.0.1\n# comment\n\nsipendpoint.sip-sever-port = 5060\n")
        let d = try ChildProcess(Paths.daemon, ["--config", path])
        #expect(await d.waitForExit(timeout: .seconds(10)) == 78)
        #expect(d.log.text.contains("line 5: sipendpoint.sip-sever-port: unknown key; did you mean 'sipendpoint.sip-server-port'?"), "\(d.log.text)")
    }

    @Test func badValuesAndMissingKeysAreAllListed() async throws {
        let path = try write("""
        sipendpoint.transport-protocol = SCTP
        sipendpoint.sip-server-port = 70000
        sipendpoint.proxies.proxy0.reg_timeout = soon
        sipendpoint.password = hunter2secret
        sipendpoint.password-file = /nonexistent
        garbage line
        sipendpoint.control-token = shortsecret
        """)
        let (status, out) = try await runCommand(Paths.daemon, ["check-config", path])
        #expect(status == 78)
        #expect(out.contains("line 1: sipendpoint.transport-protocol: value 'SCTP' is invalid: must be UDP, TCP or TLS"))
        #expect(out.contains("line 2: sipendpoint.sip-server-port"))
        #expect(out.contains("line 3: sipendpoint.proxies.proxy0.reg_timeout"))
        #expect(out.contains("line 6: expected 'key = value'"))
        #expect(out.contains("sipendpoint.user: required key is missing"))
        #expect(out.contains("sipendpoint.sip-server-address: required key is missing"))
        #expect(out.contains("not both"))
        #expect(!out.contains("hunter2secret"))
        #expect(out.contains("line 7: sipendpoint.control-token: value '<redacted>' is invalid: must be at least 16 characters"))
        #expect(!out.contains("shortsecret"))
    }

    @Test func srvPortWithIPLiteralAndIPv6Rules() async throws {
        let path = try write("sipendpoint.user = 7001\nsipendpoint.sip-server-address = 127.0.0.1\nsipendpoint.sbc-register-port = 0\nsipendpoint.local-address = ::1\nsipendpoint.dns-server = 127.0.0.1:53, nonsense\n")
        let (status, out) = try await runCommand(Paths.daemon, ["check-config", path])
        #expect(status == 78)
        #expect(out.contains("line 3: sipendpoint.sbc-register-port: port 0 asks for a DNS SRV lookup, but '127.0.0.1' is an IP address, which has no SRV records"), "\(out)")
        #expect(out.contains("line 4: sipendpoint.local-address: an IPv6 address needs sipendpoint.enable_ipv6 = true"))
        #expect(out.contains("line 5: sipendpoint.dns-server: value '127.0.0.1:53, nonsense' is invalid: 'nonsense' is not ip[:port]"))
    }

    @Test func transactionTimeoutAndStartupGraceAreBounded() async throws {
        let path = try write("sipendpoint.user = 7001\nsipendpoint.sip-server-address = 127.0.0.1\nsipendpoint.policy.endpoint.sip_transaction_timeout = 32001\nsipendpoint.bc.startup-grace = -1\n")
        let (status, out) = try await runCommand(Paths.daemon, ["check-config", path])
        #expect(status == 78)
        #expect(out.contains("line 3: sipendpoint.policy.endpoint.sip_transaction_timeout: value '32001' is invalid: must be from 1 to 32000 ms"), "\(out)")
        #expect(out.contains("line 4: sipendpoint.bc.startup-grace"), "\(out)")
        let ok = try write("sipendpoint.user = 7001\nsipendpoint.sip-server-address = 127.0.0.1\nsipendpoint.policy.endpoint.sip_transaction_timeout = 4000\n")
        #expect(try await runCommand(Paths.daemon, ["check-config", ok]).0 == 0)
    }

    @Test func validConfigChecksOK() async throws {
        let path = try write("sipendpoint.user = 7001\nsipendpoint.sip-server-address = sip.example.com\nsipendpoint.sbc-register-address =\nsipendpoint.sbc-register-port =\n")
        let (status, out) = try await runCommand(Paths.daemon, ["check-config", path])
        #expect(status == 0, "\(out)")
    }

    @Test func emptySBCPortMeansSIPServerPort() async throws {
        // The REGISTER must reach the SIP Server's sip-port when sbc-register-port is empty.
        let kam = try await Kamailio(port: 5072)
        defer { Task { await kam.stop() } }
        var s = Daemon.settings(registrar: kam)
        s["sipendpoint.sbc-register-address"] = kam.address
        s["sipendpoint.sbc-register-port"] = ""
        s["sipendpoint.sip-server-address"] = kam.address
        s["sipendpoint.sip-server-port"] = "5072"
        let d = try await Daemon(s)
        #expect(await d.log.waitFor("registration registered"), "\(d.log.text)")
        #expect(d.log.text.contains("registrar=udp://\(kam.address):5072"))
        #expect(await d.stop() == 0)
    }
}

@Suite struct ExampleConfigTests {
    @Test func exampleDocumentsEveryKeyAndValidates() async throws {
        let example = Paths.root.appendingPathComponent("sipendpointd.conf.example").path
        let text = try String(contentsOfFile: example, encoding: .utf8)
        let (status, out) = try await runCommand(Paths.daemon, ["config-keys"])
        #expect(status == 0)
        let keys = out.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }
        #expect(keys.count >= 20)
        for key in keys { #expect(text.contains(key + " ="), "\(key) is not in sipendpointd.conf.example") }
        let (checkStatus, checkOut) = try await runCommand(Paths.daemon, ["check-config", example])
        #expect(checkStatus == 0, "\(checkOut)")
    }
}
