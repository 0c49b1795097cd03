import Foundation
import Testing

/// sipp (Debian's sip-tester) as a real SIP peer talking to the daemon.
@Suite(.serialized) struct SippTests {
    func sipp(_ scenario: String, daemonPort: UInt16, transport: String) async throws -> (Int32?, String) {
        await (try Sipp(scenario, daemonPort: daemonPort, transport: transport, timeout: 15)).finish()
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
