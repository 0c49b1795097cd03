import Foundation
import Testing

/// The endpoint places the call (`POST /v1/calls`) to baresip through
/// kamailio (as through SIP Server or an SBC), baresip answers by itself,
/// speech flows both ways, and the agent hangs up from the control port:
/// baresip sees the BYE.
@Suite struct AgentDialsFarEndTests {
    @Test func agentCallsBaresipAndHangsUp() async throws {
        let rig = try await AudioRig("dial-baresip")
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        var s = rig.agentSettings(Daemon.settings(registrar: kam))
        s["sipendpoint.log-level"] = "info"
        s["sipendpoint.policy.codecs.opus/48000/2"] = "0"
        let control = freePort()
        s["sipendpoint.control-port"] = String(control)
        let d = try await Daemon(s, environment: rig.environment)
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "\(d.log.text)")
        let farPort = freeSIPPortPair()
        let pumps = try rig.startPumps(seconds: 6)
        let far = try rig.baresip(sipPort: farPort, codecs: "PCMA/8000/1", srtp: false, dial: nil, seconds: 20)
        #expect(await far.log.waitFor("baresip is ready", timeout: .seconds(10)), "\(far.log.text)")
        let placed = try await http("POST", "/v1/calls", port: control, body: "{\"to\":\"sip:far@127.0.0.1:\(farPort)\"}")
        #expect(placed.status == 201, "\(placed.body)")
        let id = try #require((try JSONSerialization.jsonObject(with: Data(placed.body.utf8)) as? [String: Any])?["id"] as? String)
        #expect(await d.log.waitFor("call established", timeout: .seconds(10)), "\(d.log.text)\n\(far.log.text)")
        #expect(await kam.log.waitFor("INVITE-RELAYED", timeout: .seconds(3)))
        // Three seconds of speech each way (polled, bounded), then the agent hangs up.
        var media: [String: Any] = [:]
        for _ in 0..<60 {
            let json = try JSONSerialization.jsonObject(with: Data(try await http("GET", "/v1/calls", port: control).body.utf8)) as? [String: Any]
            let call = (json?["calls"] as? [[String: Any]])?.first ?? [:]
            media = call["media"] as? [String: Any] ?? [:]
            #expect(call["direction"] as? String == "outgoing" && call["codec"] as? String == "PCMA/8000")
            if (media["packets_received"] as? Int ?? 0) > 150 && (media["packets_sent"] as? Int ?? 0) > 150 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect((media["packets_received"] as? Int ?? 0) > 150 && (media["packets_sent"] as? Int ?? 0) > 150, "\(media)")
        #expect(try await http("DELETE", "/v1/calls/\(id)", port: control).status == 200)
        #expect(await d.log.waitFor("call ended", timeout: .seconds(5)))
        #expect(await far.log.waitFor("terminated", timeout: .seconds(5)), "\(far.log.text)")
        for p in pumps { _ = await p.waitForExit(timeout: .seconds(10)) }
        // The agent's speech reached baresip's speaker.
        let heard = try Data(contentsOf: URL(fileURLWithPath: rig.path("far_out.raw")))
        let peak = heard.withUnsafeBytes { raw in raw.bindMemory(to: Int16.self).map { abs(Int($0)) }.max() ?? 0 }
        #expect(peak > 1000, "baresip heard peak \(peak)")
        far.signal(SIGTERM)
        #expect(await d.stop() == 0)
    }
}
