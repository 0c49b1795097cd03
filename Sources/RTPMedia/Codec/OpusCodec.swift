import CSIPOpus

/// Opus (RFC 6716, RTP per RFC 7587) over libopus: mono voice at a chosen
/// PCM rate (48 kHz for wideband playback, the RTP clock is always 48 kHz),
/// in-band FEC, DTX, and the fmtp the far end asked for.
///
/// Two encoders, one in use: *resilient* (VOIP: SILK with in-band FEC, so a
/// lost packet is rebuilt from the next) while the far end reports loss, or
/// before it has reported anything; *lean* (CELT, restricted low delay)
/// once it reports a clean network. Measured (MediaBench, 16 kHz, 64 kbit/s,
/// complexity 6): lean about a quarter of the CPU of resilient for the same
/// clean PESQ; resilient keeps 3 % loss at PESQ-WB 4.2 where lean falls to
/// 3.3 (scripts/impair-bench.sh). Both exist from the start, so switching
/// allocates nothing; the one switched to starts from a reset state.
///
/// `@unchecked Sendable` boundary: one stream's media thread uses it.
public final class OpusCodec: AudioCodec, @unchecked Sendable {
    public struct Settings: Sendable, Hashable {
        public var sampleRate = 48000
        /// 64 kbit/s: with the 16 kHz voice the stream uses, PESQ-WB 4.3–4.4
        /// clean and 3.9–4.0 at 3 % loss, where 32 kbit/s gave 3.8–4.2 and
        /// 3.5–3.8 (MediaBench impair, scripts/impair-bench.sh).
        public var bitrate = 64000
        public var inbandFEC = true
        public var dtx = false
        /// Expected loss the encoder plans FEC for, percent.
        public var packetLossPercent = 3
        public var maxPlaybackRate = 48000
        /// Lean (CELT) while the network is clean, resilient (SILK + FEC)
        /// while it is not; false: resilient always.
        public var adaptive = true
        /// Encoder complexity 0–10: quality against CPU (MediaBench measures
        /// it). 6 takes 70 % of the CPU of 8 for 0.05 of PESQ at 64 kbit/s;
        /// at 5 the frame after an FEC recovery came out at half level
        /// (OpusTests.encodeDecodeAndFEC).
        public var complexity = 6
        public init() {}

        /// Applies an `a=fmtp` line of the far end (what it wants to receive).
        public mutating func apply(fmtp: String) {
            for part in fmtp.split(separator: ";") {
                let kv = part.split(separator: "=", maxSplits: 1).map { String($0.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
                guard kv.count == 2, let v = Int(kv[1]) else { continue }
                switch kv[0].lowercased() {
                case "useinbandfec": inbandFEC = v == 1
                case "usedtx": dtx = v == 1
                case "maxaveragebitrate": bitrate = max(6000, min(510_000, v))
                case "maxplaybackrate": maxPlaybackRate = max(8000, min(48000, v))
                default: break
                }
            }
        }
    }

    private let resilientEncoder: OpaquePointer
    private let leanEncoder: OpaquePointer?
    /// Whether the resilient encoder is in use (the audio thread switches it).
    public var resilient = true {
        didSet {
            guard resilient != oldValue else { return }
            // The encoder taking over starts clean: its last frames are from long ago.
            _ = csip_opus_reset(encoder)
        }
    }
    private var encoder: OpaquePointer { resilient ? resilientEncoder : (leanEncoder ?? resilientEncoder) }
    private let decoder: OpaquePointer
    public let sampleRate: Int
    public var rtpClockRate: Int { 48000 }

    public init(_ s: Settings = Settings()) throws(MediaError) {
        var err: Int32 = 0
        guard let e = opus_encoder_create(Int32(s.sampleRate), 1, Int32(csip_opus_application_voip()), &err), err == csip_opus_ok() else {
            throw MediaError(.library, "opus_encoder_create(\(s.sampleRate) Hz) failed: \(err)")
        }
        guard let d = opus_decoder_create(Int32(s.sampleRate), 1, &err), err == csip_opus_ok() else {
            opus_encoder_destroy(e)
            throw MediaError(.library, "opus_decoder_create(\(s.sampleRate) Hz) failed: \(err)")
        }
        resilientEncoder = e
        decoder = d
        sampleRate = s.sampleRate
        Self.configure(e, s, fec: true)
        if s.adaptive, let lean = opus_encoder_create(Int32(s.sampleRate), 1, Int32(csip_opus_application_restricted_lowdelay()), &err), err == csip_opus_ok() {
            Self.configure(lean, s, fec: false)
            leanEncoder = lean
        } else {
            leanEncoder = nil
        }
    }

    private static func configure(_ e: OpaquePointer, _ s: Settings, fec: Bool) {
        _ = csip_opus_set_signal_voice(e)
        _ = csip_opus_set_bitrate(e, Int32(s.bitrate))
        _ = csip_opus_set_inband_fec(e, fec && s.inbandFEC ? 1 : 0)
        _ = csip_opus_set_packet_loss_perc(e, Int32(fec && s.inbandFEC ? s.packetLossPercent : 0))
        _ = csip_opus_set_dtx(e, s.dtx ? 1 : 0)
        _ = csip_opus_set_complexity(e, Int32(max(0, min(10, s.complexity))))
        _ = csip_opus_set_max_bandwidth_for_rate(e, Int32(s.maxPlaybackRate))
    }

    deinit {
        opus_encoder_destroy(resilientEncoder)
        if let leanEncoder { opus_encoder_destroy(leanEncoder) }
        opus_decoder_destroy(decoder)
    }

    public func encode(_ pcm: UnsafeBufferPointer<Int16>, into payload: UnsafeMutableRawBufferPointer) throws(MediaError) -> Int {
        guard let input = pcm.baseAddress, let out = payload.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw MediaError(.unsupported, "empty Opus buffers")
        }
        let n = opus_encode(encoder, input, Int32(pcm.count), out, Int32(payload.count))
        guard n >= 0 else { throw MediaError(.library, "opus_encode failed: \(n)") }
        return Int(n)
    }

    public func decode(_ payload: UnsafeRawBufferPointer, into pcm: UnsafeMutableBufferPointer<Int16>) throws(MediaError) -> Int {
        guard let out = pcm.baseAddress else { throw MediaError(.unsupported, "empty PCM buffer") }
        let n = opus_decode(decoder, payload.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(payload.count), out, Int32(pcm.count), 0)
        guard n >= 0 else { throw MediaError(.malformed, "Opus payload of \(payload.count) bytes does not decode (\(n))") }
        return Int(n)
    }

    public func conceal(into pcm: UnsafeMutableBufferPointer<Int16>) {
        guard let out = pcm.baseAddress else { return }
        if opus_decode(decoder, nil, 0, out, Int32(pcm.count), 0) < 0 { pcm.update(repeating: 0) }
    }

    public func recover(from next: UnsafeRawBufferPointer, into pcm: UnsafeMutableBufferPointer<Int16>) {
        // decode_fec = 1: the previous frame from the LBRR data in `next`.
        guard let out = pcm.baseAddress else { return }
        let n = opus_decode(decoder, next.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(next.count), out, Int32(pcm.count), 1)
        if n < 0 { conceal(into: pcm) }
    }
}
