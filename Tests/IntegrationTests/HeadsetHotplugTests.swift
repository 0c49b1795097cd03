import Foundation
import Testing

/// A headset "unplugged" mid-call: the agent's configuration names the
/// headset by regular expressions over ALSA's device descriptions
/// (`use_headset = 1`, `headset_name = Test Headset A,Desk Headset`); the
/// test takes A out of the ALSA configuration during a real call with
/// baresip (the endpoint notices by inotify), the audio moves to B without
/// ending the call, and comes back to A when A is "plugged in" again.
@Suite struct HeadsetHotplugTests {
    static func size(_ rig: AudioRig, _ file: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: rig.path(file)))?[.size] as? Int) ?? 0
    }

    /// Waits until `file` has grown by `bytes` (bounded), returning whether it did.
    static func grows(_ rig: AudioRig, _ file: String, by bytes: Int) async -> Bool {
        let start = size(rig, file)
        for _ in 0..<60 {
            if size(rig, file) >= start + bytes { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func audioMovesToTheNextHeadsetAndBack() async throws {
        let rig = try await AudioRig("hotplug")
        try rig.writeHeadsets(plugged: true)
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        var s = Daemon.settings(registrar: kam)
        s["sipendpoint.policy.device.use_headset"] = "1"
        s["sipendpoint.policy.device.headset_name"] = "Test Headset A,Desk Headset"
        s["sipendpoint.policy.session.auto_answer"] = "1"
        s["sipendpoint.media.audio-period"] = "20"  // as the rig's agent (AudioRig.agentSettings)
        s["sipendpoint.policy.codecs.opus/48000/2"] = "0"
        s["sipendpoint.log-level"] = "info"
        // Above what G.711 can reach (4.4): the quality alarm must come on and be pushed.
        s["sipendpoint.quality.vq-alarm-mos"] = "4.5"
        let control = freePort()
        s["sipendpoint.control-port"] = String(control)
        let d = try await Daemon(s, environment: rig.environment)
        #expect(await d.log.waitFor("registration registered", timeout: .seconds(10)), "\(d.log.text)")
        let sse = try SocketClient(tcpTo: "127.0.0.1", port: control)
        sse.send("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
        // The call lasts until the test has seen all it needs (set-up, a
        // second in A, the quality alarm after an interval of 5 s, the move
        // to B and a second there, the move back and a second in A again),
        // then the customer hangs up; baresip's own timer is only a backstop.
        let pumps = try rig.startPumps(seconds: 25)
        let far = try rig.baresip(sipPort: freeSIPPortPair(), codecs: "PCMA/8000/1", srtp: false, dial: "sip:7001@\(kam.address):\(kam.port)", seconds: 40)
        #expect(await d.log.waitFor("call established", timeout: .seconds(10)), "\(d.log.text)\n\(far.log.text)")
        #expect(await d.log.waitFor("playback=headsetA_out", timeout: .seconds(5)), "\(d.log.text)")
        // One second of the far end's speech in A (16 kHz S16 = 32 kB/s).
        #expect(await Self.grows(rig, "a_out.raw", by: 32_000), "A silent")

        // The voice-quality alarm, pushed once when it came on.
        var events = ""
        await AgentControlTests.read(sse, into: &events) { $0.contains("event: quality") }
        let quality = events.components(separatedBy: "event: quality\ndata: ").dropFirst().first?.split(separator: "\n").first.map(String.init) ?? ""
        let q = try JSONSerialization.jsonObject(with: Data(quality.utf8)) as? [String: Any]
        #expect(q?["vq_alarm_on"] as? Bool == true && (q?["local_inter_mos"] as? Double ?? 0) > 3.5, "\(quality)")
        #expect(try await http("GET", "/session", port: control).body.contains("\"vq_alarm_on\":true"))

        let unplugged = ContinuousClock.now
        try rig.writeHeadsets(plugged: false)
        #expect(await d.log.waitFor("playback=headsetB_out", timeout: .seconds(5)), "\(d.log.text)")
        print("MEASURED headset unplugged mid-call → audio on the next headset in \(ContinuousClock.now - unplugged)")
        #expect(d.log.text.contains("capture=headsetB_in"))
        let aAfterUnplug = Self.size(rig, "a_out.raw")
        #expect(await Self.grows(rig, "b_out.raw", by: 32_000), "B silent after the move")
        #expect(Self.size(rig, "a_out.raw") == aAfterUnplug, "A still played after it was unplugged")
        let session = try await http("GET", "/session", port: control).body
        #expect(session.contains("headsetB_out") && session.contains("\"headset_used\":true"), "\(session)")
        #expect(try await http("GET", "/v1/calls", port: control).body.contains("\"state\":\"established\""))

        let replugged = ContinuousClock.now
        try rig.writeHeadsets(plugged: true)
        #expect(await d.log.waitFor("playback=headsetA_out", count: 2, timeout: .seconds(5)), "\(d.log.text)")
        print("MEASURED headset plugged back → audio back on it in \(ContinuousClock.now - replugged)")
        #expect(await Self.grows(rig, "a_out.raw", by: 32_000), "A silent after it came back")
        // The call was never ended by the moves: it ends when the customer hangs up (SIGTERM: baresip sends BYE).
        #expect(d.log.count("call ended") == 0)
        far.signal(SIGTERM)
        #expect(await d.log.waitFor("call ended", timeout: .seconds(10)), "\(d.log.text)")
        #expect(d.log.text.contains("far end hung up"))
        #expect(d.log.count("call ended") == 1)
        // What B played is speech, not silence.
        let b = try Data(contentsOf: URL(fileURLWithPath: rig.path("b_out.raw")))
        let peak = b.withUnsafeBytes { raw in raw.bindMemory(to: Int16.self).map { abs(Int($0)) }.max() ?? 0 }
        #expect(peak > 1000, "B's audio peak \(peak)")
        // The microphones outlast the call (one that ended first would let baresip's audio
        // thread spin); the far speaker's drain ends with baresip.
        _ = await pumps[2].waitForExit(timeout: .seconds(10))
        _ = await far.waitForExit(timeout: .seconds(5))
        #expect(await d.stop() == 0)
    }
}
