import Foundation

/// Real audio without a sound card: ALSA `type file` PCMs over FIFOs, paced
/// by testing/audio/pump.py (one 20 ms chunk per 20 ms, as a sound card
/// would), speech made by espeak-ng, and PESQ (testing/audio/score.py).
/// The agent (sipendpointd) captures `agent.raw` and plays into
/// `agent_out.raw`; the far end (baresip) captures `far.raw` and plays into
/// `far_out.raw`. Each rig is a directory used as HOME (its .asoundrc).
struct AudioRig {
    let dir: URL
    static let rate = 16000

    /// The two speech samples (16 kHz S16_LE), made once per test run by
    /// testing/audio/speech.sh, as the demo and the impairment benchmark make them.
    static let speech = Task { () throws -> URL in
        let dir = Paths.tempDirectory("speech")
        let (status, out) = try await runCommand("/bin/bash", [Paths.root.appendingPathComponent("testing/audio/speech.sh").path, dir.path])
        guard status == 0 else { throw KamailioError(reason: "testing/audio/speech.sh failed: \(out)") }
        return dir
    }

    init(_ name: String) async throws {
        dir = Paths.tempDirectory("audio-\(name)")
        let speech = try await Self.speech.value
        for f in ["agent.raw", "far.raw"] {
            try FileManager.default.copyItem(at: speech.appendingPathComponent(f), to: dir.appendingPathComponent(f))
        }
        for f in ["agent_in.fifo", "far_in.fifo", "far_out.fifo"] {
            guard mkfifo(dir.appendingPathComponent(f).path, 0o600) == 0 else { throw KamailioError(reason: "mkfifo \(f) failed") }
        }
        func pcm(_ name: String, input: String?, output: String) -> String {
            let file = "pcm.\(name)_raw { type file; slave.pcm \"null\"; file \"\(output)\"; format \"raw\"" + (input.map { "; infile \"\($0)\"" } ?? "") + " }\n"
            // A good converter for whoever opens the rig at another rate (baresip at
            // its codec's): ALSA's default linear one would alias the far end's speech.
            return file + "pcm.\(name) { type plug; slave { pcm \"\(name)_raw\"; rate \(Self.rate); format S16_LE; channels 1 }; rate_converter \"speexrate_medium\" }\n"
        }
        let rc = pcm("agent_in", input: path("agent_in.fifo"), output: "/dev/null") + pcm("agent_out", input: nil, output: path("agent_out.raw"))
            + pcm("far_in", input: path("far_in.fifo"), output: "/dev/null") + pcm("far_out", input: nil, output: path("far_out.fifo"))
        try rc.write(to: dir.appendingPathComponent(".asoundrc"), atomically: true, encoding: .utf8)
        try rc.write(to: dir.appendingPathComponent(".asoundrc.base"), atomically: true, encoding: .utf8)
    }

    func path(_ f: String) -> String { dir.appendingPathComponent(f).path }

    /// Two headsets for the agent, listed by ALSA (`hint` sections, as a
    /// USB headset's card is): A ("Test Headset A") and B ("Test Desk
    /// Headset B"), both capturing the agent's microphone FIFO, each
    /// playing into its own file (`a_out.raw`, `b_out.raw`). `plugged`
    /// false takes A out of the configuration, as unplugging it would.
    func writeHeadsets(plugged: Bool) throws {
        let base = try String(contentsOf: dir.appendingPathComponent(".asoundrc.base"), encoding: .utf8)
        func headset(_ id: String, _ description: String, out: String) -> String {
            "pcm.headset\(id)_in_raw { type file; slave.pcm \"null\"; file \"/dev/null\"; format \"raw\"; infile \"\(path("agent_in.fifo"))\" }\n"
                + "pcm.headset\(id)_in { type plug; slave { pcm \"headset\(id)_in_raw\"; rate \(Self.rate); format S16_LE; channels 1 }; hint { show on; description \"\(description) microphone|IOIDInput\" } }\n"
                + "pcm.headset\(id)_out_raw { type file; slave.pcm \"null\"; file \"\(path(out))\"; format \"raw\" }\n"
                + "pcm.headset\(id)_out { type plug; slave { pcm \"headset\(id)_out_raw\"; rate \(Self.rate); format S16_LE; channels 1 }; hint { show on; description \"\(description) speaker|IOIDOutput\" } }\n"
        }
        let text = base + (plugged ? headset("A", "Test Headset A", out: "a_out.raw") : "") + headset("B", "Test Desk Headset B", out: "b_out.raw")
        // Written aside and renamed in, as package managers and editors do.
        let tmp = dir.appendingPathComponent(".asoundrc.new")
        try text.write(to: tmp, atomically: false, encoding: .utf8)
        guard rename(tmp.path, path(".asoundrc")) == 0 else { throw KamailioError(reason: "rename .asoundrc failed") }
    }

    /// The environment for processes that open the rig's PCMs.
    var environment: [String: String] {
        var e = ProcessInfo.processInfo.environment
        e["HOME"] = dir.path
        return e
    }

    /// Daemon settings that use the rig's devices, with 20 ms periods: the
    /// rig's microphones are FIFOs fed by Python at normal priority, and
    /// beside the rest of the suite on a small box a real-time audio thread
    /// reading them every 10 ms (the default where real-time is permitted)
    /// starves the feeder, which a sound card never is. The default period
    /// runs in the agent-to-agent call's 7002 and in the demo.
    func agentSettings(_ base: [String: String]) -> [String: String] {
        var s = base
        s["sipendpoint.policy.device.audio_in_device"] = "agent_in"
        s["sipendpoint.policy.device.audio_out_device"] = "agent_out"
        s["sipendpoint.media.audio-period"] = "20"
        return s
    }

    /// Feeds both microphones for `seconds` (the first two processes) and
    /// drains the far end's speaker 4 s longer, so a call hung up once the
    /// feeds end still has a speaker until it is gone. With `talkOnCue`,
    /// both speakers keep silent until ``cueTalk()``: people start talking
    /// once the call is up at both ends, not when their own microphone
    /// opens (a slow far end may not listen yet).
    func startPumps(seconds: Double, talkOnCue: Bool = false) throws -> [ChildProcess] {
        let pump = Paths.root.appendingPathComponent("testing/audio/pump.py").path
        let cue = talkOnCue ? [path("talk.cue")] : []
        return try [("feed", "agent_in.fifo", "agent.raw", seconds), ("feed", "far_in.fifo", "far.raw", seconds),
                    ("drain", "far_out.fifo", "far_out.raw", seconds + 4)].map {
            try ChildProcess("/usr/bin/env", ["python3", pump, $0.0, path($0.1), path($0.2), String($0.3)] + ($0.0 == "feed" ? cue : []))
        }
    }

    /// Both speakers (fed with `talkOnCue`) start talking.
    func cueTalk() throws {
        guard FileManager.default.createFile(atPath: path("talk.cue"), contents: Data()) else { throw KamailioError(reason: "talk cue not created") }
    }

    /// baresip as the far end: its own audio through the rig, `codecs` as
    /// baresip spells them, SDES when `srtp`; dials `target` at once and
    /// hangs up after `seconds` (0: waits to be called, answers by itself).
    func baresip(sipPort: UInt16, codecs: String, srtp: Bool, dial target: String?, seconds: Int) throws -> ChildProcess {
        let conf = dir.appendingPathComponent("baresip")
        try FileManager.default.createDirectory(at: conf, withIntermediateDirectories: true)
        // One far-end config for the tests and the demo (testing/audio/baresip.conf.in).
        let template = try String(contentsOf: Paths.root.appendingPathComponent("testing/audio/baresip.conf.in"), encoding: .utf8)
        try template.replacingOccurrences(of: "@SIP_PORT@", with: String(sipPort))
            .write(to: conf.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        try "<sip:far@127.0.0.1:\(sipPort)>;regint=0;answermode=auto;audio_codecs=\(codecs)\(srtp ? ";mediaenc=srtp-mand" : "")\n"
            .write(to: conf.appendingPathComponent("accounts"), atomically: true, encoding: .utf8)
        var args = ["-f", conf.path, "-t", String(seconds)]
        if let target { args += ["-e", "/dial \(target)"] }
        return try ChildProcess("/usr/bin/baresip", args, environment: environment)
    }

    /// A PESQ score, and score.py's whole line for failure messages: where
    /// the speech starts in the recording, the recording's length, and how
    /// much of the speech it lacks (a call that ended before its speech did).
    struct PESQ: CustomStringConvertible {
        var score: Double
        var description: String
    }

    /// PESQ of `degraded` against `reference` (both 16 kHz raw), `mode` wb or nb.
    func pesq(reference: String, degraded: String, mode: String) async throws -> PESQ {
        let (status, out) = try await runCommand("/usr/bin/env", ["python3", Paths.root.appendingPathComponent("testing/audio/score.py").path,
                                                                      path(reference), path(degraded), mode])
        guard status == 0, let line = out.split(separator: "\n").last(where: { $0.hasPrefix("PESQ") }),
              let score = Double(line.split(separator: " ")[2]) else { throw KamailioError(reason: "PESQ failed: \(out)") }
        return PESQ(score: score, description: String(line))
    }
}
