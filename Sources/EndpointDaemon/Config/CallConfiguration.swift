import RTPMedia
import SIPCore

/// Calls and media settings (the `policy.session`, `policy.codecs`,
/// `policy.device`, `policy.endpoint` and `system.security` Genesys options).
public struct CallConfiguration: Sendable, Hashable {
    public var policy = CallPolicy()
    public enum DTMFMethod: String, Sendable, Hashable { case rfc2833, info, inbandRtp }
    public var dtmfMethod = DTMFMethod.rfc2833
    public var dtx = false
    /// Codec priorities by Genesys key (`opus/48000/2`): 1–127, higher first; 0 = disabled.
    public var codecPriorities: [String: Int] = ["opus/48000/2": 120, "PCMA/8000": 110, "PCMU/8000": 100, "telephone-event/8000": 1]
    public var srtp = SRTPPolicy.disabled
    public var audioIn: [String] = ["*"]
    public var audioOut: [String] = ["*"]
    /// Genesys `use_headset` + `headset_name`: when on and a name is set,
    /// the headset's patterns choose both directions (audio_in/out ignored).
    public var useHeadset = true
    public var headsetName: [String] = []
    /// The sound devices' period in ms (10 or 20; nil: 10 where the audio thread runs real-time, else 20).
    public var audioPeriodMs: Int?

    /// The device patterns the media engine selects with.
    public var devices: AudioDeviceSettings {
        useHeadset && !headsetName.isEmpty ? AudioDeviceSettings(capture: headsetName, playback: headsetName, periodMs: audioPeriodMs)
            : AudioDeviceSettings(capture: audioIn, playback: audioOut, periodMs: audioPeriodMs)
    }
    public var rtpPorts: ClosedRange<UInt16> = 16384...32767
    /// Our Opus encoder (bitrate, complexity); the far end's fmtp still caps the bitrate.
    public var opus = OpusCodec.Settings()
    /// Seconds without RTP before a call is reported dead (nil = never).
    public var rtpInactivityTimeout: Duration? = .seconds(30)
    /// The address put in SDP for our media instead of the local one (a
    /// NAT's public address, or a relay in front of this box); nil = local.
    public var publicAddress: String?
    /// The interval MOS below which a call's voice-quality alarm is on.
    public var vqAlarmMOS = 3.6
    /// RFC 2198 redundant audio offered and accepted (sent only while the far end reports loss).
    public var redundancy = true

    /// Codecs this build implements, by key.
    static let implemented: [String: RTPMap] = [
        "opus/48000/2": RTPMap(payloadType: 0, encoding: "opus", clockRate: 48000, channels: 2),
        "pcma/8000": RTPMap(payloadType: 8, encoding: "PCMA", clockRate: 8000),
        "pcmu/8000": RTPMap(payloadType: 0, encoding: "PCMU", clockRate: 8000),
    ]

    /// What we offer and accept, in priority order.
    public var capabilities: MediaCapabilities {
        let codecs = codecPriorities.filter { $0.value > 0 }.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
            .compactMap { Self.implemented[$0.key.lowercased()] }
        let te = (codecPriorities.first { $0.key.lowercased() == "telephone-event/8000" }?.value ?? 0) > 0
        var c = MediaCapabilities(codecs: codecs, fmtp: ["opus/48000/2": "useinbandfec=1; usedtx=\(dtx ? 1 : 0); maxplaybackrate=16000; sprop-maxcapturerate=16000"],
                                  telephoneEvent: te, srtp: srtp)
        c.redundancy = redundancy
        return c
    }
}

extension ConfigSchema {
    static let callKeys: [Key] = [
        Key(name: "sipendpoint.policy.session.auto_answer", help: "1: answer every incoming call by itself (SIP Server's auto-answer headers are always honoured; default 0)") { c, v in
            guard let b = flag(v) else { return "must be 0 or 1" }
            c.calls.policy.autoAnswer = b; return nil
        },
        Key(name: "sipendpoint.policy.session.ring_timeout", help: "seconds an unanswered incoming call rings before it is refused with 480 (default 120)") { c, v in
            guard let n = Int(v), n >= 1, n <= 3600 else { return "must be from 1 to 3600 seconds" }
            c.calls.policy.ringTimeout = .seconds(n); return nil
        },
        Key(name: "sipendpoint.policy.session.max_calls", help: "calls at once; one more is refused with 486 (default 4)") { c, v in
            guard let n = Int(v), n >= 1, n <= 32 else { return "must be from 1 to 32" }
            c.calls.policy.maxCalls = n; return nil
        },
        Key(name: "sipendpoint.policy.session.reject_session_when_headset_na", help: "1: refuse calls while no audio device is present (default 0)") { c, v in
            guard let b = flag(v) else { return "must be 0 or 1" }
            c.calls.policy.rejectWithoutHeadset = b; return nil
        },
        Key(name: "sipendpoint.policy.session.sip_code_when_headset_na", help: "SIP status for calls refused without a headset (default 480)") { c, v in
            guard let n = Int(v), n >= 400, n <= 699 else { return "must be a SIP status from 400 to 699" }
            c.calls.policy.codeWithoutHeadset = n; return nil
        },
        Key(name: "sipendpoint.policy.session.dtmf_method", help: "rfc2833, Info or InbandRtp (case-insensitive; default rfc2833)") { c, v in
            switch v.lowercased() {
            case "rfc2833": c.calls.dtmfMethod = .rfc2833
            case "info": c.calls.dtmfMethod = .info
            case "inbandrtp": c.calls.dtmfMethod = .inbandRtp
            default: return "must be rfc2833, Info or InbandRtp"
            }
            return nil
        },
        Key(name: "sipendpoint.policy.session.session_expires", help: "RFC 4028 session interval asked for, seconds (90-86400); 0 = ask for none, still honour SIP Server's (default 1800)") { c, v in
            guard let n = Int(v), n == 0 || (n >= 90 && n <= 86_400) else { return "must be 0 or from 90 to 86400 seconds" }
            c.calls.policy.sessionExpires = n; return nil
        },
        Key(name: "sipendpoint.policy.session.min_se", help: "shortest RFC 4028 session interval accepted, seconds (90-86400); shorter requests get 422 (default 90)") { c, v in
            guard let n = Int(v), n >= 90, n <= 86_400 else { return "must be from 90 to 86400 seconds" }
            c.calls.policy.minSE = n; return nil
        },
        Key(name: "sipendpoint.policy.session.dtx_mode", help: "1: Opus discontinuous transmission (default 0)") { c, v in
            guard let b = flag(v) else { return "must be 0 or 1" }
            c.calls.dtx = b; return nil
        },
        Key(name: "sipendpoint.system.security.use_srtp", help: "disabled, optional or mandatory (0 = disabled, 1 = mandatory; default disabled)") { c, v in
            switch v.lowercased() {
            case "disabled", "0", "false": c.calls.srtp = .disabled
            case "optional": c.calls.srtp = .optional
            case "mandatory", "1", "true": c.calls.srtp = .mandatory
            default: return "must be disabled, optional, mandatory, 0 or 1"
            }
            return nil
        },
        Key(name: "sipendpoint.policy.device.audio_in_device", help: "capture device: ALSA PCM names or regular expressions over the listed names/descriptions, comma-separated, first present wins; * = the ALSA default, then any card (default *)") { c, v in
            guard let l = deviceList(v) else { return "must name at least one ALSA device, regular expression or *" }
            c.calls.audioIn = l; return nil
        },
        Key(name: "sipendpoint.policy.device.audio_out_device", help: "playback device: ALSA PCM names or regular expressions over the listed names/descriptions, comma-separated, first present wins; * = the ALSA default, then any card (default *)") { c, v in
            guard let l = deviceList(v) else { return "must name at least one ALSA device, regular expression or *" }
            c.calls.audioOut = l; return nil
        },
        Key(name: "sipendpoint.policy.device.use_headset", help: "1: headset_name chooses both capture and playback when set (default 1)") { c, v in
            guard let b = flag(v) else { return "must be 0 or 1" }
            c.calls.useHeadset = b; return nil
        },
        Key(name: "sipendpoint.policy.device.headset_name", help: "the headset: ALSA names or regular expressions, comma-separated, first present wins; empty = use audio_in_device/audio_out_device (default empty)") { c, v in
            if v.isEmpty { c.calls.headsetName = []; return nil }
            guard let l = deviceList(v) else { return "must be empty, or ALSA names or valid regular expressions" }
            c.calls.headsetName = l; return nil
        },
        Key(name: "sipendpoint.policy.endpoint.rtp_port_min", help: "lowest RTP port (default 16384)") { c, v in
            guard let n = UInt16(v), n >= 1024 else { return "must be a port from 1024 to 65535" }
            c.calls.rtpPorts = n...max(n, c.calls.rtpPorts.upperBound); return nil
        },
        Key(name: "sipendpoint.policy.endpoint.rtp_port_max", help: "highest RTP port (default 32767)") { c, v in
            guard let n = UInt16(v), n >= 1026 else { return "must be a port from 1026 to 65535" }
            c.calls.rtpPorts = min(c.calls.rtpPorts.lowerBound, n)...n; return nil
        },
        Key(name: "sipendpoint.policy.endpoint.public_address", help: "IP address written in SDP for our media instead of the local one (NAT or relay in front of this box; default: the local address)") { c, v in
            guard v.isEmpty || IPAddressText.isIPLiteral(v) else { return "must be empty or a numeric IP address" }
            c.calls.publicAddress = v.isEmpty ? nil : v; return nil
        },
        Key(name: "sipendpoint.media.opus-bitrate", help: "bit/s the Opus encoder aims for, 6000-510000 (default 64000; the far end's maxaveragebitrate caps it)") { c, v in
            guard let n = Int(v), n >= 6000, n <= 510_000 else { return "must be from 6000 to 510000 bit/s" }
            c.calls.opus.bitrate = n; return nil
        },
        Key(name: "sipendpoint.media.audio-period", help: "the sound devices' period in ms, 10 or 20: 10 plays audio 10-20 ms sooner for twice the wake-ups; auto: 10 where the audio thread may run real-time (SCHED_FIFO), else 20 (default auto)") { c, v in
            if v == "auto" { c.calls.audioPeriodMs = nil; return nil }
            guard let n = Int(v), n == 10 || n == 20 else { return "must be auto, 10 or 20 (ms)" }
            c.calls.audioPeriodMs = n; return nil
        },
        Key(name: "sipendpoint.media.redundancy", help: "1: offer and accept RFC 2198 redundant audio (red): while the far end reports loss, each packet also carries the previous frame, so a lost packet is played from the next instead of concealed (twice the bandwidth while it lasts); 0: never (default 1)") { c, v in
            guard v == "0" || v == "1" else { return "must be 0 or 1" }
            c.calls.redundancy = v == "1"; return nil
        },
        Key(name: "sipendpoint.media.opus-complexity", help: "Opus encoder complexity 0-10: quality against CPU (default 6)") { c, v in
            guard let n = Int(v), n >= 0, n <= 10 else { return "must be from 0 to 10" }
            c.calls.opus.complexity = n; return nil
        },
        Key(name: "sipendpoint.quality.vq-alarm-mos", help: "a call's voice-quality alarm (vq_alarm_on, the quality event) is on while its MOS over the last interval is below this (1.0-4.5; default 3.6)") { c, v in
            guard let n = Double(v), n >= 1, n <= 4.5 else { return "must be a MOS from 1.0 to 4.5" }
            c.calls.vqAlarmMOS = n; return nil
        },
        Key(name: "sipendpoint.policy.endpoint.rtp_inactivity_timeout", help: "seconds without RTP before a call is ended as dead; 0 = never (default 30)") { c, v in
            guard let n = Int(v), n >= 0, n <= 3600 else { return "must be from 0 to 3600 seconds" }
            c.calls.rtpInactivityTimeout = n == 0 ? nil : .seconds(n); return nil
        },
    ] + ["opus/48000/2", "PCMA/8000", "PCMU/8000", "telephone-event/8000"].map { codec in
        Key(name: "sipendpoint.policy.codecs.\(codec)", help: "priority of \(codec): 1-127, higher first; 0 = disabled") { c, v in codecPriority(&c, codec, v) }
    }

    /// `sipendpoint.policy.codecs.<encoding>/<rate>[/<channels>]` = priority; codecs this build lacks are accepted and ignored.
    static func codecPriority(_ c: inout EndpointConfiguration, _ codec: String, _ v: String) -> String? {
        guard let n = Int(v), n >= 0, n <= 127 else { return "must be a priority from 0 (disabled) to 127" }
        let parts = codec.split(separator: "/")
        guard parts.count >= 2, parts.count <= 3, !parts[0].isEmpty, Int(parts[1]) != nil else {
            return "codec must be written <encoding>/<rate>[/<channels>]"
        }
        c.calls.codecPriorities[codec] = n
        return nil
    }

    static let codecPrefix = "sipendpoint.policy.codecs."
}
