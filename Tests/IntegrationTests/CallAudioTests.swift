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
        // Both talk once the call is up at both ends (a far end slowed by a loaded box opens its
        // devices late), and the customer hangs up once both have played their speech, while
        // they still talk; baresip's own timer is only a backstop.
        let pumps = try rig.startPumps(seconds: 16, talkOnCue: true)
        let far = try rig.baresip(sipPort: freeSIPPortPair(), codecs: c.baresipCodecs, srtp: c.srtp, dial: "sip:7001@\(kam.address):\(kam.port)", seconds: 40)
        let dialled = ContinuousClock.now
        #expect(await d.log.waitFor("call established", timeout: .seconds(10)), "\(d.log.text)\n\(far.log.text)")
        // From baresip's start; and by the daemon's own clock, the INVITE's arrival to our 200
        // (the daemon's part) and the 200 to the ACK's arrival (the far end's and the proxy's).
        let setUp = ContinuousClock.now - dialled
        func span(_ from: String, _ to: String) -> Double { d.log.time(ofFirst: to).flatMap { e in d.log.time(ofFirst: from).map { e.timeIntervalSince($0) } } ?? -1 }
        let answered = span("incoming call", "call connecting"), acked = span("call connecting", "call established")
        try rig.cueTalk()
        #expect(await kam.log.waitFor("INVITE-ROUTED", timeout: .seconds(3)))
        // The rig's devices run at 16 kHz: opened at that rate whatever the codec (G.711's 8 kHz is
        // converted by the audio thread, not by ALSA), and the thread's scheduling is logged.
        #expect(await d.log.waitFor("audio devices", timeout: .seconds(5)))
        let devices = d.log.text.split(separator: "\n").first { $0.contains("audio devices") }.map(String.init) ?? ""
        #expect(devices.contains("16000/16000 Hz") && devices.contains("period=\"20 ms\"") && devices.contains("scheduling="), "\(devices)")
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
        #expect(call["redundancy"] as? Bool == false, "baresip offers no RFC 2198: \(call)")
        #expect((media["packets_received"] as? Int ?? 0) > 100 && (media["packets_sent"] as? Int ?? 0) > 100, "\(media)")
        #expect((media["foreign_packets"] as? Int) == 0)
        // SIGTERM: baresip sends BYE. (A microphone that ended first would let baresip's
        // audio thread spin and flood the agent with packets.)
        for p in pumps.prefix(2) { #expect(await p.log.waitFor("played", timeout: .seconds(20))) }
        far.signal(SIGTERM)
        #expect(await d.log.waitFor("call ended", timeout: .seconds(10)), "\(d.log.text)")
        _ = await pumps[2].waitForExit(timeout: .seconds(10))
        _ = await far.waitForExit(timeout: .seconds(5))
        let tx = try await rig.pesq(reference: "agent.raw", degraded: "far_out.raw", mode: c.mode)
        let rx = try await rig.pesq(reference: "far.raw", degraded: "agent_out.raw", mode: c.mode)
        print(String(format: "MEASURED call %@ PESQ-%@: agent→far %.2f, far→agent %.2f; MOS (E-model) %@, RTT %@ ms; set up in %@ (INVITE to 200 at the daemon %.3f s, 200 to ACK %.3f s)", c.name, c.mode.uppercased(), tx.score, rx.score,
                     "\(media["local_mos"] ?? "?")", "\(media["rtt_ms"] ?? "?")", "\(setUp)", answered, acked))
        // Floors: speech must be intelligible both ways (silence, noise or warped time score near 1;
        // clean calls measure 3.9–4.6 alone, down to 3.2 beside the CPU-heavy tests on 2 cores, so
        // they leave room for scheduling hiccups; agentCallsAgent's floor catches aliasing).
        #expect(tx.score >= 3.0, "agent→far: \(tx); the agent's stream: \(media)")
        #expect(rx.score >= 3.0, "far→agent: \(rx); the agent's stream: \(media)")
        #expect(d.log.text.contains("far end hung up"))
        #expect(await d.stop() == 0)
    }

    /// The same agent-to-agent call through the impairment relay
    /// (testing/audio/relay.py): 40 ± 20 ms of delay (packets reorder) and
    /// 3 % loss each way, seeded. Each end advertises the relay's address
    /// for itself. PESQ both ways, with the jitter buffer, Opus FEC/PLC and
    /// G.711 concealment doing their work.
    @Test(arguments: [("Opus+SRTP", "wb", "opus/48000/2"), ("PCMA+SRTP", "nb", "PCMA/8000")])
    func agentCallsAgentThroughImpairment(_ c: (name: String, mode: String, codec: String)) async throws {
        let rig = try await AudioRig("impaired-" + c.name.replacingOccurrences(of: "+", with: "-"))
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        let relayA = LoopbackAddresses.next(), relayB = LoopbackAddresses.next()
        // Pinned ports (the relay must know them), outside the default RTP range other tests draw from.
        let portA = UInt16(33000 + Int(getpid() % 1500) * 4), portB = portA + 2
        var sa = rig.agentSettings(Daemon.settings(registrar: kam))
        var sb = Daemon.settings(user: "7002", registrar: kam)
        sb["sipendpoint.policy.device.audio_in_device"] = "far_in"
        sb["sipendpoint.policy.device.audio_out_device"] = "far_out"
        sb["sipendpoint.policy.session.auto_answer"] = "1"
        sb["sipendpoint.media.audio-period"] = "20"  // as the rig's agent (AudioRig.agentSettings)
        for (s, ip, port) in [(0, relayA, portA), (1, relayB, portB)] {
            var x = s == 0 ? sa : sb
            x["sipendpoint.log-level"] = "info"
            x["sipendpoint.system.security.use_srtp"] = "optional"
            x["sipendpoint.policy.endpoint.public_address"] = ip
            x["sipendpoint.policy.endpoint.rtp_port_min"] = String(port)
            x["sipendpoint.policy.endpoint.rtp_port_max"] = String(port + 1)
            if c.codec == "PCMA/8000" { x["sipendpoint.policy.codecs.opus/48000/2"] = "0" }
            if s == 0 { sa = x } else { sb = x }
        }
        let control = freePort(), controlB = freePort()
        sa["sipendpoint.control-port"] = String(control)
        sb["sipendpoint.control-port"] = String(controlB)
        let relay = try ChildProcess("/usr/bin/env", ["python3", Paths.root.appendingPathComponent("testing/audio/relay.py").path,
                                                      relayA, String(portA), relayB, String(portB), "40", "20", "3", "7", "25"])
        let a = try await Daemon(sa, environment: rig.environment)
        let b = try await Daemon(sb, environment: rig.environment)
        #expect(await a.log.waitFor("registration registered", timeout: .seconds(10)))
        #expect(await b.log.waitFor("registration registered", timeout: .seconds(10)))
        let pumps = try rig.startPumps(seconds: 12)
        let placed = try await http("POST", "/v1/calls", port: control, body: "{\"to\":\"sip:7002@\(kam.address)\"}")
        let id = try #require((try JSONSerialization.jsonObject(with: Data(placed.body.utf8)) as? [String: Any])?["id"] as? String, "\(placed.body)")
        #expect(await a.log.waitFor("call established", timeout: .seconds(10)), "\(a.log.text)")
        for p in pumps.prefix(2) { _ = await p.waitForExit(timeout: .seconds(20)) }
        let json = try JSONSerialization.jsonObject(with: Data(try await http("GET", "/v1/calls", port: control).body.utf8)) as? [String: Any]
        let media = ((json?["calls"] as? [[String: Any]])?.first?["media"] as? [String: Any]) ?? [:]
        let jsonB = try JSONSerialization.jsonObject(with: Data(try await http("GET", "/v1/calls", port: controlB).body.utf8)) as? [String: Any]
        let mediaB = ((jsonB?["calls"] as? [[String: Any]])?.first?["media"] as? [String: Any]) ?? [:]
        #expect(try await http("DELETE", "/v1/calls/\(id)", port: control).status == 200)
        _ = await pumps[2].waitForExit(timeout: .seconds(10))
        let tx = try await rig.pesq(reference: "agent.raw", degraded: "far_out.raw", mode: c.mode)
        let rx = try await rig.pesq(reference: "far.raw", degraded: "agent_out.raw", mode: c.mode)
        func receiver(_ m: [String: Any]) -> String {
            func f(_ k: String) -> String { "\(m[k] ?? "?")" }
            return "lost \(f("packets_lost")), concealed \(f("concealed_frames")), recovered (FEC, RFC 2198 copies) \(f("recovered_frames")), late \(f("late_packets")), "
                + "underruns \(f("underruns")), shed \(f("frames_dropped_for_delay")), resyncs \(f("jitter_buffer_resyncs")), xruns \(f("xruns")), "
                + "jitter buffer \(f("jitter_buffer_ms")) ms, RTT \(f("rtt_ms")) ms, MOS \(f("local_mos"))"
        }
        print("MEASURED impaired (40±20 ms, 3 % loss) \(c.name) PESQ-\(c.mode.uppercased()): 7001→7002 \(String(format: "%.2f", tx.score)), "
              + "7002→7001 \(String(format: "%.2f", rx.score)); received at 7002: \(receiver(mediaB)); at 7001: \(receiver(media))")
        #expect((media["packets_lost"] as? Int ?? 0) > 0, "the relay dropped nothing? \(media)")
        // Both ends are sipendpointd: RFC 2198 redundancy is negotiated, and the lost packets are played from copies.
        let call = (json?["calls"] as? [[String: Any]])?.first ?? [:]
        #expect(call["redundancy"] as? Bool == true, "\(call)")
        // RTT from RTCP (LSR/DLSR) sees the relay's 40 ms each way.
        #expect((media["rtt_ms"] as? Double ?? 0) > 50, "\(media)")
        // A floor that broken, silent or time-warped audio fails (they score 1.0–1.5); the targets
        // themselves are benchmark figures: this Python relay and both ends share 2 cores with the rest
        // of the suite, and under that load one direction has scored as low as 1.98 (idle: 2.66–3.44).
        #expect(tx.score >= 1.7 && rx.score >= 1.7, "\(tx) / \(rx)")
        #expect(await a.stop() == 0)
        #expect(await b.stop() == 0)
        relay.signal(SIGTERM)
        _ = await relay.waitForExit(timeout: .seconds(5))
        let summary = relay.log.text.split(separator: "\n").last { $0.hasPrefix("relay:") }.map(String.init) ?? "relay: no summary"
        print("MEASURED impaired \(c.name) " + summary)
        // Both ends send one packet per 20 ms, also once the microphone feed
        // has ended (a FIFO PCM at end of input returns at once: the audio
        // thread used to spin and send three times as many).
        let counts = summary.split(separator: " ").compactMap { Int($0) }
        if counts.count == 4 {
            #expect(abs(counts[0] - counts[2]) * 5 < max(counts[0], counts[2]), "\(summary)")
        } else {
            Issue.record("relay summary: \(summary)")
        }
        // What a call that sounded bad is asked for: in the API and in the line that ends it.
        #expect((media["recovered_frames"] as? Int ?? 0) > 0 && media["underruns"] is Int && media["xruns"] is Int, "\(media)")
        #expect(a.log.text.split(separator: "\n").contains { $0.contains("call ended") && $0.contains("mos") && $0.contains("concealed") }, "\(a.log.text)")
    }

    static func rssKB(_ pid: pid_t) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    /// Two agents: 7001 calls 7002 with `POST /v1/calls` through kamailio
    /// (outbound proxy = its registrar), 7002 answers by itself, speech
    /// both ways, 7001 hangs up. Both ends are sipendpointd, so the scores
    /// are this engine's own, in both directions. In the Opus call 7002's
    /// sound devices run 10 ms periods (two per 20 ms frame), 7001's 20 ms.
    /// The rig's devices run at 16 kHz: in the G.711 call both daemons
    /// convert to 8 kHz themselves (Resampler); the floor fails audio that
    /// was decimated without a filter (3.0 with ALSA's linear converter).
    @Test(arguments: [("Opus+SRTP", "wb", "opus/48000/2"), ("PCMA", "nb", "PCMA/8000")])
    func agentCallsAgent(_ c: (name: String, mode: String, codec: String)) async throws {
        let rig = try await AudioRig("a2a-" + c.name.replacingOccurrences(of: "+", with: "-"))
        let kam = try await Kamailio()
        defer { Task { await kam.stop() } }
        var sa = rig.agentSettings(Daemon.settings(registrar: kam))
        var sb = Daemon.settings(user: "7002", registrar: kam)
        sb["sipendpoint.policy.device.audio_in_device"] = "far_in"
        sb["sipendpoint.policy.device.audio_out_device"] = "far_out"
        sb["sipendpoint.policy.session.auto_answer"] = "1"
        // The default: 10 ms periods where the audio thread runs real-time, else 20.
        sb["sipendpoint.media.audio-period"] = "auto"
        for k in ["sipendpoint.log-level"] { sa[k] = "info"; sb[k] = "info" }
        if c.codec == "PCMA/8000" { sb["sipendpoint.policy.codecs.opus/48000/2"] = "0" } else {
            sa["sipendpoint.system.security.use_srtp"] = "optional"
            sb["sipendpoint.system.security.use_srtp"] = "mandatory"
        }
        let control = freePort()
        sa["sipendpoint.control-port"] = String(control)
        let a = try await Daemon(sa, environment: rig.environment)
        let b = try await Daemon(sb, environment: rig.environment)
        #expect(await a.log.waitFor("registration registered", timeout: .seconds(10)))
        #expect(await b.log.waitFor("registration registered", timeout: .seconds(10)))
        let idleRSS = Self.rssKB(a.child.pid)
        let pumps = try rig.startPumps(seconds: 12)
        let placed = try await http("POST", "/v1/calls", port: control, body: "{\"to\":\"sip:7002@\(kam.address)\"}")
        #expect(placed.status == 201, "\(placed.body)")
        let id = try #require((try JSONSerialization.jsonObject(with: Data(placed.body.utf8)) as? [String: Any])?["id"] as? String)
        #expect(await b.log.waitFor("call established", timeout: .seconds(10)), "\(b.log.text)")
        #expect(await a.log.waitFor("call established", timeout: .seconds(10)), "\(a.log.text)")
        #expect(await b.log.waitFor("audio devices", timeout: .seconds(5)))
        let bDevices = b.log.text.split(separator: "\n").first { $0.contains("audio devices") }.map(String.init) ?? ""
        #expect(bDevices.contains(bDevices.contains("scheduling=SCHED_FIFO") ? "period=\"10 ms\"" : "period=\"20 ms\""), "\(bDevices)")
        // The call's figures while it runs (polled until audio flowed both ways, at most 8 s).
        var call: [String: Any] = [:], media: [String: Any] = [:]
        for _ in 0..<80 {
            let json = try JSONSerialization.jsonObject(with: Data(try await http("GET", "/v1/calls", port: control).body.utf8)) as? [String: Any]
            call = (json?["calls"] as? [[String: Any]])?.first ?? [:]
            media = call["media"] as? [String: Any] ?? [:]
            if (media["packets_received"] as? Int ?? 0) > 100 && (media["packets_sent"] as? Int ?? 0) > 100 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let callRSS = Self.rssKB(a.child.pid)
        print("MEASURED daemon RSS (debug build; the first release of unused code comes 5 s after start, the demo shows the release build after it) idle \(idleRSS) kB, in a \(c.name) call \(callRSS) kB")
        #expect(call["direction"] as? String == "outgoing" && call["codec"] as? String == c.codec)
        #expect((call["srtp"] as? String != nil) == (c.codec != "PCMA/8000"))
        // Let the speech play out, then 7001 hangs up (BYE along the record-route).
        for p in pumps.prefix(2) { _ = await p.waitForExit(timeout: .seconds(20)) }
        #expect(try await http("DELETE", "/v1/calls/\(id)", port: control).status == 200)
        #expect(await b.log.waitFor("far end hung up", timeout: .seconds(5)), "\(b.log.text.suffix(3000))\n\(a.log.text.suffix(3000))\n\(kam.log.text.suffix(3000))")
        _ = await pumps[2].waitForExit(timeout: .seconds(10))
        let tx = try await rig.pesq(reference: "agent.raw", degraded: "far_out.raw", mode: c.mode)
        let rx = try await rig.pesq(reference: "far.raw", degraded: "agent_out.raw", mode: c.mode)
        print(String(format: "MEASURED agent-to-agent %@ PESQ-%@: 7001→7002 %.2f, 7002→7001 %.2f; MOS (E-model) %@, RTT %@ ms", c.name, c.mode.uppercased(), tx.score, rx.score,
                     "\(media["local_mos"] ?? "?")", "\(media["rtt_ms"] ?? "?")"))
        // 3.9–4.4 alone, 3.3 seen beside the rest of the suite; G.711 decimated without a filter scores 3.0.
        #expect(tx.score >= 3.2 && rx.score >= 3.2, "\(tx) / \(rx)")
        #expect(await a.stop() == 0)
        #expect(await b.stop() == 0)
    }
}
