import FoundationEssentials
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import RTPMedia
import SIPCore

/// Everything the control port shows, taken in one hop onto the SIP queue
/// per request or event (registrations, calls with their live media
/// figures, the settings in force), then encoded off that queue.
struct ControlSnapshot: Sendable {
    var continuity: ContinuityState?
    var counters: [(site: Site, rtt: Double?, transitions: Int, misses: Int)]
    var calls: [CallSnapshot]
    var endedByOutcome: [String: Int]
    var answerDelay: DelayHistogram
    var config: EndpointConfiguration
}

extension EndpointService {
    /// Call on the SIP queue.
    var controlSnapshot: ControlSnapshot {
        ControlSnapshot(continuity: continuityState, counters: channelCounters.map { ($0.0, $0.1, $0.2, $0.3) },
                        calls: calls.snapshot, endedByOutcome: calls.endedByOutcome, answerDelay: calls.answerDelay, config: config)
    }
}

/// The JSON documents of the control port, as `Encodable` values: the
/// native `/v1` shapes and the Genesys Softphone Connector ones. Absent
/// values are written as `null` (the desktop tests fields, not keys).
enum ControlView {
    static func encode<T: Encodable>(_ value: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        return (try? e.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// Rounds figures to what a person reads (three decimals); NaN/∞ become null.
    static func figure(_ d: Double?) -> Double? { d.flatMap(Text.rounded) }

    struct Media: Encodable {
        let m: CallMediaStatistics
        enum K: String, CodingKey {
            case packets_sent, packets_received, packets_lost, jitter_ms, rtt_ms, jitter_buffer_ms, concealed_frames, local_mos, local_inter_mos
            case foreign_packets, srtp_failures
            case recovered_frames, late_packets, underruns, frames_dropped_for_delay, jitter_buffer_resyncs, xruns
        }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: K.self)
            try c.encode(m.packetsSent, forKey: .packets_sent)
            try c.encode(m.packetsReceived, forKey: .packets_received)
            try c.encode(m.packetsLost, forKey: .packets_lost)
            try c.encode(figure(m.jitterMs), forKey: .jitter_ms)
            try c.encode(figure(m.rttMs), forKey: .rtt_ms)
            try c.encode(m.jitterBufferMs, forKey: .jitter_buffer_ms)
            try c.encode(m.concealedFrames, forKey: .concealed_frames)
            try c.encode(figure(m.localMOS), forKey: .local_mos)
            try c.encode(figure(m.intervalMOS), forKey: .local_inter_mos)
            try c.encode(m.foreignPackets, forKey: .foreign_packets)
            try c.encode(m.srtpFailures, forKey: .srtp_failures)
            try c.encode(m.recoveredFrames, forKey: .recovered_frames)
            try c.encode(m.latePackets, forKey: .late_packets)
            try c.encode(m.underruns, forKey: .underruns)
            try c.encode(m.framesDroppedForDelay, forKey: .frames_dropped_for_delay)
            try c.encode(m.jitterBufferResyncs, forKey: .jitter_buffer_resyncs)
            try c.encode(m.xruns, forKey: .xruns)
        }
    }

    /// One call (`/v1/calls`, `/v1/status`, Connector `phone.calls[]`, events).
    struct Call: Encodable {
        let c: CallSnapshot
        enum K: String, CodingKey {
            case id, uuid, state, direction, remote, genesys_call_uuid, held, held_locally, held_remotely, codec, srtp, redundancy, since, media
            case local_tag, remote_tag
        }
        func encode(to encoder: Encoder) throws {
            var k = encoder.container(keyedBy: K.self)
            try k.encode(c.id, forKey: .id)
            try k.encode(c.id, forKey: .uuid)
            try k.encode(c.state, forKey: .state)
            try k.encode(c.direction, forKey: .direction)
            try k.encode(c.remote, forKey: .remote)
            try k.encode(c.genesysCallUUID, forKey: .genesys_call_uuid)
            try k.encode(c.heldLocally || c.heldRemotely, forKey: .held)
            try k.encode(c.heldLocally, forKey: .held_locally)
            try k.encode(c.heldRemotely, forKey: .held_remotely)
            try k.encode(c.codec, forKey: .codec)
            try k.encode(c.srtp, forKey: .srtp)
            try k.encode(c.redundancy, forKey: .redundancy)
            try k.encode(Text.rfc3339(c.since), forKey: .since)
            try k.encode(c.media.map(Media.init), forKey: .media)
            try k.encode(c.localTag, forKey: .local_tag)
            try k.encode(c.remoteTag, forKey: .remote_tag)
        }
    }

    struct Calls: Encodable {
        let calls: [Call]
    }

    struct Device: Encodable {
        let volume: Int
        let name: String
        let muted: Bool
    }

    /// Connector `devices`: what is in use (or configured), volumes and mutes.
    struct Devices: Encodable {
        let speaker: Device
        let microphone: Device
        let headset_used: Bool

        init(audio: AudioState, engine: MediaEngine, configured: AudioDeviceSettings) {
            speaker = Device(volume: audio.speakerVolume, name: engine.playbackInUse ?? configured.playback.joined(separator: ","), muted: audio.speakerMuted)
            microphone = Device(volume: audio.microphoneVolume, name: engine.captureInUse ?? configured.capture.joined(separator: ","),
                                muted: audio.microphoneMuted)
            headset_used = engine.headsetInUse
        }
    }

    struct SiteStatus: Encodable {
        let c: ChannelState
        enum K: String, CodingKey { case site, target, transport, state, detail, reason, since, expires, last_success }
        func encode(to encoder: Encoder) throws {
            var k = encoder.container(keyedBy: K.self)
            try k.encode("\(c.site)", forKey: .site)
            try k.encode(c.target, forKey: .target)
            try k.encode(c.transport.map { "\($0)" }, forKey: .transport)
            try k.encode(ControlAPI.apiState(c.state), forKey: .state)
            try k.encode(c.state.rawValue, forKey: .detail)
            try k.encode(c.reason, forKey: .reason)
            try k.encode(Text.rfc3339(c.since), forKey: .since)
            try k.encode(c.expires, forKey: .expires)
            try k.encode(c.lastSuccess.map(Text.rfc3339), forKey: .last_success)
        }
    }

    /// `/v1/status` and the `status` event (with the change's `reason`).
    struct Status: Encodable {
        let ready: Bool
        let activeSite: String?
        let sites: [SiteStatus]
        let calls: [Call]
        let devices: Devices
        let reason: String?
        enum K: String, CodingKey { case ready, active_site, sites, calls, devices, version, reason }
        func encode(to encoder: Encoder) throws {
            var k = encoder.container(keyedBy: K.self)
            try k.encode(ready, forKey: .ready)
            try k.encode(activeSite, forKey: .active_site)
            try k.encode(sites, forKey: .sites)
            try k.encode(calls, forKey: .calls)
            try k.encode(devices, forKey: .devices)
            try k.encode(DaemonVersion.string, forKey: .version)
            try k.encodeIfPresent(reason, forKey: .reason)
        }
    }

    /// Connector `phone`: the calls, and the quality of the current one.
    struct Phone: Encodable {
        let local_mos: Double?
        let rtt_ms: Double?
        let calls: [Call]
        let vq_alarm_on: Bool
        let local_inter_mos: Double?
    }

    struct Connection: Encodable {
        let server: String
        let state: String
        let user: String
    }

    struct Connectivities: Encodable {
        let `protocol`: String
        let connections: [Connection]
    }

    /// Connector `GET /session`.
    struct Session: Encodable {
        let devices: Devices
        let phone: Phone
        let connectivities: Connectivities
        let status: String
    }

    /// A `call` event.
    struct CallEvent: Encodable {
        let event: String
        let call: Call
        let detail: String?
        enum K: String, CodingKey { case event, call, detail }
        func encode(to encoder: Encoder) throws {
            var k = encoder.container(keyedBy: K.self)
            try k.encode(event, forKey: .event)
            try k.encode(call, forKey: .call)
            try k.encode(detail, forKey: .detail)
        }
    }

    /// A `quality` event: a call's voice-quality alarm turned on or off.
    struct Quality: Encodable {
        let id: String
        let vq_alarm_on: Bool
        let local_inter_mos: Double?
        let local_mos: Double?
        let rtt_ms: Double?
        let threshold: Double
    }
}
