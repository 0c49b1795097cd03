import Foundation
import Testing

/// Real calls with real audio both ways: baresip (Debian baresip-core) as
/// the far end calls the agent's DN through kamailio (registrar and
/// record-routing proxy), sipendpointd answers by itself, speech goes
/// through ALSA file PCMs on both sides, and PESQ scores each direction.
/// Floors fail for broken, silent, clipped or time-warped audio; the figures
/// themselves are printed as MEASURED lines.
@Suite(.serialized) struct CallAudioTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var baresipCodecs: String
        var srtp: Bool
        var mode: String
        var expectedCodec: String
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "PCMU", baresipCodecs: "PCMU/8000/1", srtp: false, mode: "nb", expectedCodec: "PCMU/8000"),
        Case(name: "PCMU+SRTP", baresipCodecs: "PCMU/8000/1", srtp: true, mode: "nb", expectedCodec: "PCMU/8000"),
        Case(name: "PCMA", baresipCodecs: "PCMA/8000/1", srtp: false, mode: "nb", expectedCodec: "PCMA/8000"),
        Case(name: "PCMA+SRTP", baresipCodecs: "PCMA/8000/1", srtp: true, mode: "nb", expectedCodec: "PCMA/8000"),
        Case(name: "Opus", baresipCodecs: "opus/48000/1", srtp: false, mode: "wb", expectedCodec: "opus/48000/2"),
        Case(name: "Opus+SRTP", baresipCodecs: "opus/48000/1", srtp: true, mode: "wb", expectedCodec: "opus/48000/2"),
    ]

    @Test(arguments: cases)
    func speechBothWays(_ c: Case) async throws {
        let rig = try await AudioRig(c.name.replacingOccurrences(of: "+", with: "-"))
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        var s = rig.agentSettings(Daemon.settings(registrar: kam))
        s["sipendpoint.policy.session.auto_answer"] = "1"
        s["sipendpoint.system.security.use_srtp"] = "optional"
        s["sipendpoint.log-level"] = "info"
        s["sipendpoint.control-port"] = String(freePort())
        let d = try await Daemon(s, environment: rig.environment)
        let control = UInt16(s["sipendpoint.control-port"]!)!
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "\(d.log.text)")
        let pumps = try rig.startPumps(seconds: 13)
        let far = try rig.baresip(sipPort: freePort(), codecs: c.baresipCodecs, srtp: c.srtp, dial: "sip:7001@\(kam.address):\(kam.port)", seconds: 11)
        #expect(await d.log.waitFor("call established", timeout: .seconds(10)), "\(d.log.text)\n\(far.log.text)")
        #expect(await kam.log.waitFor("INVITE-ROUTED", timeout: .seconds(3)))
        // Mid-call: the control API shows the call, its codec, SRTP and live
        // figures (polled until 100 packets went each way, for at most 8 s).
        var call: [String: Any] = [:], media: [String: Any] = [:]
        for _ in 0..<80 {
            let calls = try await http("GET", "/v1/calls", port: control)
            let json = try JSONSerialization.jsonObject(with: Data(calls.body.utf8)) as? [String: Any]
            call = (json?["calls"] as? [[String: Any]])?.first ?? [:]
            media = call["media"] as? [String: Any] ?? [:]
            if (media["packets_received"] as? Int ?? 0) > 100 && (media["packets_sent"] as? Int ?? 0) > 100 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(call["codec"] as? String == c.expectedCodec)
        #expect((call["srtp"] as? String != nil) == c.srtp)
        #expect((media["packets_received"] as? Int ?? 0) > 100 && (media["packets_sent"] as? Int ?? 0) > 100, "\(media)")
        #expect((media["foreign_packets"] as? Int) == 0)
        // baresip hangs up after its 11 s.
        #expect(await d.log.waitFor("call ended", timeout: .seconds(15)), "\(d.log.text)")
        for p in pumps { _ = await p.waitForExit(timeout: .seconds(10)) }
        _ = await far.waitForExit(timeout: .seconds(5))
        let tx = try await rig.pesq(reference: "agent.raw", degraded: "far_out.raw", mode: c.mode)
        let rx = try await rig.pesq(reference: "far.raw", degraded: "agent_out.raw", mode: c.mode)
        print(String(format: "MEASURED call %@ PESQ-%@: agent→far %.2f, far→agent %.2f; MOS (E-model) %@, RTT %@ ms", c.name, c.mode.uppercased(), tx, rx,
                     "\(media["local_mos"] ?? "?")", "\(media["rtt_ms"] ?? "?")"))
        // Floors: speech must be intelligible both ways (silence, noise or warped time score near 1).
        #expect(tx >= 2.8, "agent→far PESQ \(tx)")
        #expect(rx >= 3.5, "far→agent PESQ \(rx)")
        #expect(d.log.text.contains("far end hung up"))
        #expect(await d.stop() == 0)
    }
}
