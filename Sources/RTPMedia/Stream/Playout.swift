/// The receive half of a stream's audio path, one frame at a time: packets
/// go into the jitter buffer, and each frame tick plays a decoded frame, an
/// FEC recovery, a concealment or comfort noise. Kept apart from the
/// sockets so the same code runs in the stream and in the offline
/// impairment benchmark (MediaBench `impair`), which scores it with PESQ.
///
/// Where the jitter buffer wants to shed delay, the frame to drop is chosen
/// by what it sounds like: a quiet frame (a pause between words) goes
/// unheard, a frame of speech would be heard as a click and a skipped
/// syllable — so speech frames are dropped only when the buffer is far
/// too deep or no pause came for two seconds. Dropped frames are still
/// decoded, so a stateful decoder (Opus) never sees a gap.
///
/// `@unchecked Sendable` boundary: owned by one audio thread.
public final class Playout: @unchecked Sendable {
    public private(set) var jitter: JitterBuffer
    let codec: AudioCodec
    private var noise = ComfortNoise()
    /// The far end described its silence (RFC 3389) and no talkspurt has played since.
    private var farEndSilent = false
    /// Speech came back after a silence; cleared once it plays.
    private var talkspurtPending = false
    /// Frames since the buffer first asked to shed delay without a quiet frame to drop.
    private var pressureFrames = 0
    /// Quiet frames played in a row, this one included.
    private var quietRun = 0
    private let scratch: UnsafeMutableBufferPointer<Int16>

    /// What the frame tick played.
    public enum Outcome: Sendable, Equatable { case silence, played, recovered, concealed, comfortNoise }

    /// A frame whose RMS is below this is a pause (−40 dBov: under speech,
    /// above a quiet room's noise).
    static let quietRMS = 230
    /// Play speech frames away rather than wait longer than this for a pause.
    static let patienceFrames = 100
    /// The start delay's surplus (``JitterBuffer/settling``) costs only
    /// latency, so it goes in a real pause — 160 ms of quiet, not the quiet
    /// frame between two syllables, where a skip is heard — and waits up
    /// to five seconds for one.
    static let settlingPauseFrames = 8
    static let settlingPatienceFrames = 250

    public init(codec: AudioCodec, jitter: JitterBuffer.Configuration) {
        self.codec = codec
        self.jitter = JitterBuffer(jitter)
        let frame = codec.sampleRate * jitter.frameMs / 1000
        scratch = .allocate(capacity: frame * 3)
        scratch.initialize(repeating: 0)
    }

    deinit { scratch.deallocate() }

    /// The far end began a silence it describes with comfort noise.
    public func comfortNoiseBegan() {
        farEndSilent = true
        talkspurtPending = false
    }

    /// A packet of this stream's codec.
    public func insert(timestamp: UInt32, payload: UnsafeRawBufferPointer, arrivalMicros: Int64) {
        if farEndSilent && !talkspurtPending {
            // A talkspurt after a CN silence: playout starts afresh at the
            // target delay (once the last one has played out), not by
            // concealing its way across the silence's timestamps.
            if !jitter.hasBuffered { jitter.reset() }
            talkspurtPending = true
        }
        _ = jitter.insert(timestamp: timestamp, payload: payload, arrivalMicros: arrivalMicros)
    }

    /// Fills `out` (one frame) for the tick at `nowMicros`; `noiseLevel` is
    /// the far end's last comfort-noise level (−dBov).
    public func play(into out: UnsafeMutableBufferPointer<Int16>, nowMicros: Int64, noiseLevel: Int) -> Outcome {
        let noise = farEndSilent ? noiseLevel : -1
        let pulled = jitter.pull(nowMicros: nowMicros)
        if case .play = pulled, talkspurtPending {
            farEndSilent = false
            talkspurtPending = false
        }
        switch pulled {
        case .silence where noise >= 0:
            self.noise.fill(out, level: noise)
            return .comfortNoise
        case .silence:
            out.update(repeating: 0)
            return .silence
        case .play(let slot):
            var n = decode(slot)
            let quiet = n >= out.count && Self.rms(UnsafeBufferPointer(rebasing: scratch[0..<out.count])) < Self.quietRMS
            quietRun = quiet ? quietRun + 1 : 0
            switch jitter.pressure {
            case .none:
                pressureFrames = 0
            case .shed, .urgent:
                pressureFrames += 1
                let settling = jitter.settling
                let pause = quietRun >= (settling ? Self.settlingPauseFrames : 1)
                if pause || jitter.pressure == .urgent || pressureFrames > (settling ? Self.settlingPatienceFrames : Self.patienceFrames),
                   let next = jitter.dropForDelay(nowMicros: nowMicros) {
                    pressureFrames = 0
                    n = decode(next)
                }
            }
            if n >= out.count {
                for i in 0..<out.count { out[i] = scratch[i] }
            } else {
                codec.conceal(into: out)
            }
            return .played
        case .recover(let next):
            jitter.withPayload(slot: next) { codec.recover(from: $0, into: out) }
            return .recovered
        case .conceal where noise >= 0:
            // Nothing was lost: the far end is silent and said how it sounds.
            self.noise.fill(out, level: noise)
            return .comfortNoise
        case .conceal:
            codec.conceal(into: out)
            return .concealed
        }
    }

    private func decode(_ slot: Int) -> Int {
        jitter.withPayload(slot: slot) { payload in (try? codec.decode(payload, into: scratch)) ?? 0 }
    }

    /// Root mean square of a frame, without allocating.
    static func rms(_ pcm: UnsafeBufferPointer<Int16>) -> Int {
        guard !pcm.isEmpty else { return 0 }
        var sum: Int64 = 0
        for s in pcm { sum += Int64(s) * Int64(s) }
        return Int(Double(sum / Int64(pcm.count)).squareRoot())
    }
}
