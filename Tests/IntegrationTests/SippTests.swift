import Foundation
import Testing

/// sipp (Debian's sip-tester) as a real SIP peer talking to the daemon.
@Suite(.serialized) struct SippTests {
    func sipp(_ scenario: String, daemonPort: UInt16, transport: String) async throws -> (Int32, String) {
        let ip = LoopbackAddresses.next()
        let work = Paths.tempDirectory("sipp")
        var args = ["-sf", Paths.root.appendingPathComponent("testing/sipp/\(scenario)").path, "127.0.0.1:\(daemonPort)",
                    "-i", ip, "-p", String(freePort()), "-m", "1", "-timeout", "15s", "-timeout_error", "-nostdin",
                    "-trace_err", "-error_file", work.appendingPathComponent("errors.log").path, "-mi", ip, "-mp", String(freePort())]
        if transport == "TCP" { args += ["-t", "t1"] }
        let (status, out) = try await runCommand("/usr/bin/sipp", args)
        let errors = (try? String(contentsOf: work.appendingPathComponent("errors.log"), encoding: .utf8)) ?? ""
        return (status, out + errors)
    }

    @Test(arguments: ["UDP", "TCP"])
    func optionsAndInviteFromSipp(_ transport: String) async throws {
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        let d = try await Daemon(Daemon.refusingCalls(Daemon.settings(registrar: kam, transport: transport)))
        #expect(await d.log.waitFor("registration registered"))
        let (s1, o1) = try await sipp("options.xml", daemonPort: d.sipPort, transport: transport)
        #expect(s1 == 0, "\(o1.suffix(1500))")
        let (s2, o2) = try await sipp("invite-480.xml", daemonPort: d.sipPort, transport: transport)
        #expect(s2 == 0, "\(o2.suffix(1500))")
        // The INVITE passed §8.2 and reached the call layer, which refused it (no headset).
        #expect(d.log.text.contains("refused call") && d.log.text.contains("480 Temporarily Unavailable - no headset"), "\(d.log.text)")
        #expect(!d.log.text.contains("registration retrying"))
        #expect(await d.stop() == 0)
    }
}
