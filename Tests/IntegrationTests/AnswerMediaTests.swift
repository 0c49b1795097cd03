import Foundation
import Testing

/// Media starts with our answer, not with the ACK: SIP Server (sipp)
/// sends an INVITE with an offer and auto-answer, then holds its ACK back
/// for 8 s (longer than any SBC or trunk would, so that a loaded test box
/// still sees it all before the ACK). RFC 3264 lets the
/// answerer send as soon as its answer is out; waiting for the ACK would
/// clip the first words both ways by that round trip.
@Suite struct AnswerMediaTests {
    @Test func audioFlowsFromTheAnswerBeforeTheACK() async throws {
        let rig = try await AudioRig("late-ack")
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        let (d, control) = try await Daemon.registered(at: kam, rig.agentSettings([:]), environment: rig.environment)
        let pumps = try rig.startPumps(seconds: 12)
        let sipp = try Sipp("ss/late-ack.xml", daemonPort: d.sipPort)
        #expect(await d.log.waitFor("call connecting", timeout: .seconds(10)), "\(d.log.text)")
        // Before the ACK (8 s after our 200): the call is still connecting, yet the agent's
        // microphone is open and its packets go out (polled for at most 6 s).
        var call: [String: Any] = [:]
        for _ in 0..<60 {
            let json = try JSONSerialization.jsonObject(with: Data(try await http("GET", "/v1/calls", port: control).body.utf8)) as? [String: Any]
            call = (json?["calls"] as? [[String: Any]])?.first ?? [:]
            if ((call["media"] as? [String: Any])?["packets_sent"] as? Int ?? 0) >= 25 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let sent = (call["media"] as? [String: Any])?["packets_sent"] as? Int ?? 0
        #expect(call["state"] as? String == "connecting" && sent >= 25, "\(call)\n\(d.log.text)")
        #expect(d.log.text.contains("audio devices") && !d.log.text.contains("call established"), "\(d.log.text)")
        // The ACK comes, then SIP Server's BYE: one call, established and ended.
        let (status, said) = await sipp.finish()
        #expect(status == 0, "\(said)")
        #expect(await d.log.waitFor("call ended", timeout: .seconds(5)), "\(d.log.text)")
        #expect(d.log.count("call established") == 1)
        #expect(await d.stop() == 0)
        _ = pumps
    }
}
