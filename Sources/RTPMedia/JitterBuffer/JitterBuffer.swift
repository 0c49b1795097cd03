/// An adaptive jitter buffer for one audio stream, as a pure state
/// machine: packets go in with their arrival time, and every frame tick the
/// player asks what to play. Time is injected (microseconds); payloads are
/// copied into slots allocated once, and each call returns one action
/// value, so the per-packet and per-frame paths allocate nothing.
///
/// - Target delay follows the measured network jitter: the spread of the
///   packets' relative transit times over the last few seconds (the minimum
///   over that window also follows a drifting sender clock), clamped to
///   `minimumDelay…maximumDelay`.
/// - A missing frame with later ones already here is a loss: conceal it
///   (or recover it from the next packet's FEC) and move on. A missing frame
///   with nothing later is an underrun: conceal *without* moving on, which
///   adds one frame of delay — how the buffer grows when the network slows.
///   If later packets then show the held frames were lost, not late, the
///   frames concealed meanwhile count for them (no delay is added).
/// - Every played packet waited some time in the buffer. When even the
///   shortest wait over the last second exceeds one and a half frames and
///   the target, and no underrun came in the last five seconds, one frame
///   can go without any packet then arriving too late: the buffer reports
///   ``pressure`` and the player drops a frame where it is least heard
///   (``dropForDelay(nowMicros:)``). That is how the delay shrinks again
///   once the network calms, and how a sender clock faster than the sound
///   card's is compensated (a slower one shows as the occasional underrun).
///   The hold after an underrun keeps scheduling noise from swinging the
///   delay down and up again, each swing a skip in the speech.
/// - Playout starts at ``Configuration/startDelayMs`` (80 ms) while the
///   first second of packets shows what the network's jitter is (as NetEq
///   starts at 80 ms): found by underruns instead, a jittery network's
///   first words were concealed and skipped. On a calm network the surplus
///   is shed in the first pause (``settling``).
/// - While losses are recent (five seconds) the target keeps two frames,
///   so the packet after a lost one is there for FEC or bridging.
/// - A backlog far beyond the maximum delay (the player stalled, a burst
///   after an outage) is not shed frame by frame: once five frames in a row
///   waited more than twice the maximum, playout jumps to the target delay
///   behind the newest packet.
public struct JitterBuffer: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// RTP clock rate (8000 for G.711, 48000 for Opus).
        public var clockRate: Int
        /// Frame duration in milliseconds (the negotiated ptime).
        public var frameMs: Int
        public var minimumDelayMs: Int
        public var maximumDelayMs: Int
        /// The least delay for the first second of packets, before their
        /// jitter is known: starting at the minimum, a jittery network is
        /// found by underruns, each one a concealed frame and a skip in the
        /// first words. Shed again in pauses once the network shows it calm.
        public var startDelayMs: Int
        /// Frames the buffer can hold (a power of two is not required).
        public var capacity: Int
        public var maxPayload: Int

        public init(clockRate: Int, frameMs: Int = 20, minimumDelayMs: Int = 20, maximumDelayMs: Int = 300, startDelayMs: Int = 80,
                    capacity: Int = 64, maxPayload: Int = 1500) {
            self.clockRate = clockRate
            self.frameMs = frameMs
            self.minimumDelayMs = minimumDelayMs
            self.maximumDelayMs = maximumDelayMs
            self.startDelayMs = startDelayMs
            self.capacity = capacity
            self.maxPayload = maxPayload
        }

        var frameTicks: Int64 { Int64(clockRate * frameMs / 1000) }
    }

    /// What to play for this frame tick.
    public enum Action: Sendable, Equatable {
        /// Nothing received yet (or the stream paused): play silence.
        case silence
        /// Decode the payload in slot `slot` (read it with ``payload(slot:)``).
        case play(slot: Int)
        /// The frame was lost but the next packet is here: decode its FEC (Opus), else conceal.
        case recover(nextSlot: Int)
        /// Lost or late: let the decoder conceal one frame.
        case conceal
    }

    /// How urgently the buffer wants to shed delay (read after a `.play`).
    public enum Pressure: Sendable, Equatable {
        case none
        /// A frame can go: drop one where it is not heard.
        case shed
        /// Far above what the network needs: drop one now.
        case urgent
    }

    /// What became of an inserted packet.
    public enum Verdict: Sendable, Equatable { case buffered, late, duplicate, tooLarge, restarted }

    public let configuration: Configuration
    private var storage: [UInt8]
    private var slotTimestamp: [UInt32]
    private var slotLength: [Int]
    private var slotUsed: [Bool]
    private var started = false
    private var playTimestamp: UInt32 = 0
    private var newestTimestamp: UInt32 = 0
    private var haveNewest = false
    /// Relative transit times (arrival − timestamp, in ticks) of the last packets.
    private var transits: [Int64]
    private var transitCount = 0
    private var transitNext = 0
    private var underrunStreak = 0
    /// Playout began at the start delay and has not yet shed what the
    /// network did not need of it (see ``Configuration/startDelayMs``):
    /// that surplus goes with one frame of margin (plus the jitter seen),
    /// several frames in one pause, and the player waits longer for a
    /// pause to drop it in.
    public private(set) var settling = false
    private var slotArrival: [Int64]
    /// How long the last played packets waited in the buffer, µs (a ring).
    private var waits: [Int64]
    private var waitCount = 0
    private var waitNext = 0
    /// Consecutive played packets that waited more than twice the maximum delay.
    private var backlogStreak = 0
    /// The last pull's time, and until when a recent loss or underrun
    /// counts (``recentMicros``): a loss raises the floor to
    /// two frames, so the next packet is there for FEC or bridging when a
    /// loss is found; an underrun holds ordinary shedding off, so
    /// scheduling noise does not swing the delay up and down (each swing
    /// is heard as a skip).
    private var nowMicros: Int64 = 0
    private var lossUntil = Int64.min
    private var underrunUntil = Int64.min
    /// How long a loss or an underrun counts: the transit window (250 frames, 5 s).
    private var recentMicros: Int64 { Int64(transits.count * configuration.frameMs) * 1000 }
    /// Set by each `.play`: whether a frame could be dropped now.
    public private(set) var pressure = Pressure.none

    // Counters for quality reports.
    public private(set) var played = 0
    public private(set) var concealed = 0
    public private(set) var recovered = 0
    public private(set) var late = 0
    public private(set) var droppedForDelay = 0
    public private(set) var underruns = 0
    /// The underruns of the gap in progress (each one also a concealed
    /// frame): not yet known to be a glitch anyone heard. A sender that
    /// stopped (the far end hanging up, its RTP ending before its BYE
    /// arrives) leaves such a gap for good; the next packet, or the gap
    /// outlasting half a second, settles them as underruns.
    public var pendingUnderruns: Int { underrunStreak }
    /// Times a backlog was skipped in one jump.
    public private(set) var resynchronised = 0
    /// Lost frames not concealed again because an underrun had already
    /// concealed them (see the hold rule in ``pull(nowMicros:)``).
    public private(set) var caughtUp = 0

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        storage = [UInt8](repeating: 0, count: configuration.capacity * configuration.maxPayload)
        slotTimestamp = [UInt32](repeating: 0, count: configuration.capacity)
        slotLength = [Int](repeating: 0, count: configuration.capacity)
        slotUsed = [Bool](repeating: false, count: configuration.capacity)
        slotArrival = [Int64](repeating: 0, count: configuration.capacity)
        waits = [Int64](repeating: 0, count: 1000 / configuration.frameMs)
        transits = [Int64](repeating: 0, count: 250) // 5 s of 20 ms packets
    }

    /// The delay the buffer aims for now, in milliseconds.
    public var targetDelayMs: Int {
        let floor = floorMs
        guard transitCount > 1 else { return floor }
        return max(floor, min(configuration.maximumDelayMs, transitSpreadMs + configuration.frameMs / 2))
    }

    /// The spread of the packets' relative transit times over the window, ms.
    var transitSpreadMs: Int {
        guard transitCount > 1 else { return 0 }
        var lo = Int64.max, hi = Int64.min
        for i in 0..<transitCount { lo = min(lo, transits[i]); hi = max(hi, transits[i]) }
        return Int((hi - lo) * 1000 / Int64(configuration.clockRate))
    }

    /// The least delay kept: the start delay for the first second of
    /// packets; two frames while losses are recent (FEC and bridging need
    /// the next packet when a loss is found); else the minimum.
    var floorMs: Int {
        var floor = configuration.minimumDelayMs
        if inStartWindow { floor = max(floor, configuration.startDelayMs) }
        if nowMicros < lossUntil { floor = max(floor, 2 * configuration.frameMs) }
        return floor
    }

    /// The first second of packets, before their jitter is known.
    private var inStartWindow: Bool { transitCount * configuration.frameMs < 1000 }

    /// Audio buffered ahead of the playout point, in milliseconds.
    public var bufferedMs: Int {
        guard started, haveNewest else { return 0 }
        let ahead = Int64(Int32(bitPattern: newestTimestamp &- playTimestamp)) + configuration.frameTicks
        return max(0, Int(ahead * 1000 / Int64(configuration.clockRate)))
    }

    /// Adds a packet that arrived at `arrivalMicros` (local monotonic clock).
    public mutating func insert(timestamp: UInt32, payload: UnsafeRawBufferPointer, arrivalMicros: Int64) -> Verdict {
        guard payload.count <= configuration.maxPayload else { return .tooLarge }
        var verdict = Verdict.buffered
        if started {
            let ahead = Int64(Int32(bitPattern: timestamp &- playTimestamp))
            let span = configuration.frameTicks * Int64(configuration.capacity)
            if ahead < 0 && ahead > -span {
                late += 1
                return .late
            }
            if ahead >= span || ahead <= -span {
                // A jump (new talkspurt after a long silence, sender restart): start over from here.
                reset()
                verdict = .restarted
            }
        }
        let slot = slotIndex(timestamp)
        if slotUsed[slot] && slotTimestamp[slot] == timestamp { return .duplicate }
        slotUsed[slot] = true
        slotTimestamp[slot] = timestamp
        slotLength[slot] = payload.count
        slotArrival[slot] = arrivalMicros
        let base = slot * configuration.maxPayload
        storage.withUnsafeMutableBytes { s in
            UnsafeMutableRawBufferPointer(rebasing: s[base..<(base + payload.count)]).copyMemory(from: payload)
        }
        if !haveNewest || Int32(bitPattern: timestamp &- newestTimestamp) > 0 { newestTimestamp = timestamp; haveNewest = true }
        let arrivalTicks = arrivalMicros * Int64(configuration.clockRate) / 1_000_000
        transits[transitNext] = arrivalTicks - Int64(timestamp)
        transitNext = (transitNext + 1) % transits.count
        transitCount = min(transitCount + 1, transits.count)
        return verdict
    }

    /// The player's frame tick at `nowMicros` (the same clock as arrivals): what to play now.
    public mutating func pull(nowMicros: Int64) -> Action {
        self.nowMicros = nowMicros
        let frame = UInt32(configuration.frameTicks)
        if !started {
            guard let oldest = oldestBuffered(), bufferedSince(oldest) >= targetDelayMs else { return .silence }
            started = true
            settling = inStartWindow && configuration.startDelayMs > configuration.minimumDelayMs
            // Start at the target delay behind the newest packet: a backlog
            // that piled up before playout began (call set-up, the device
            // opening) is skipped now, silently, rather than dropped frame by
            // frame later, which would be heard. A frame or two beyond the
            // target is jitter bunching the first packets, not a backlog:
            // skipping it cut the first syllable; it is played, and shed in
            // a pause like any surplus.
            if bufferedSince(oldest) > targetDelayMs + 2 * configuration.frameMs {
                skipToTarget(oldest: oldest)
            } else {
                playTimestamp = oldest
            }
        }
        pressure = .none
        if var slot = find(playTimestamp) {
            let wait = nowMicros - slotArrival[slot]
            backlogStreak = wait > Int64(configuration.maximumDelayMs) * 2000 ? backlogStreak + 1 : 0
            if backlogStreak >= 5, let oldest = oldestBuffered() {
                skipToTarget(oldest: oldest)
                resynchronised += 1
                backlogStreak = 0
                waitCount = 0
                guard let s = find(playTimestamp) else { return pull(nowMicros: nowMicros) }
                slot = s
            }
            recordWait(nowMicros - slotArrival[slot])
            // Whether a frame could go is judged on a full window of waits
            // (a second of playout): only then are the scans below made.
            if waitCount == waits.count {
                let slack = shortestWaitMs
                // The start delay is a guess, not a need: what the network did
                // not use of it goes with one frame of margin plus the jitter
                // seen so far (up to the ordinary half frame), so a sender whose
                // packets wander is not shed to the edge, where its next late
                // packet would underrun mid-word.
                let frameMs = configuration.frameMs
                let margin = settling ? frameMs + min(frameMs / 2, transitSpreadMs) : frameMs * 3 / 2
                if slack <= margin { settling = false }
                if slack > margin, find(playTimestamp &+ frame) != nil {
                    // Far above what the network needs (beyond the maximum delay,
                    // or five frames of slack): shed at once, and faster. Else
                    // shed only above the target (the jitter of the last five
                    // seconds, two frames while losses are recent) and not soon
                    // after an underrun. The target scans the transit window:
                    // once, and only when a frame could go at all.
                    let target = targetDelayMs
                    let far = slack > max(5 * frameMs, configuration.maximumDelayMs - target)
                    let above = slack > target && self.nowMicros >= underrunUntil
                    if far || above { pressure = far ? .urgent : .shed }
                }
            }
            return take(slot, advanceBy: frame)
        }
        let laterExists = haveNewest && Int32(bitPattern: newestTimestamp &- playTimestamp) > 0
        if laterExists {
            lossUntil = nowMicros + recentMicros
            // The frames concealed while holding stood in for the ones now
            // known lost: skip what they covered instead of concealing it a
            // second time, which would add the whole gap to the delay (a
            // 300 ms burst loss made 300 ms more delay, shed slowly). The
            // last one is kept: it is recovered from the next packet's FEC.
            var skip = underrunStreak - 1
            underrunStreak = 0
            while skip > 0, find(playTimestamp) == nil, Int32(bitPattern: newestTimestamp &- playTimestamp) > 0 {
                playTimestamp &+= frame
                skip -= 1
                caughtUp += 1
            }
            if find(playTimestamp) != nil { return pull(nowMicros: nowMicros) }
            let next = find(playTimestamp &+ frame)
            playTimestamp &+= frame
            if let next {
                recovered += 1
                return .recover(nextSlot: next)
            }
            concealed += 1
            return .conceal
        }
        // Underrun: nothing later has come. Conceal and hold the playout point.
        underrunStreak += 1
        underruns += 1
        underrunUntil = nowMicros + recentMicros
        settling = false
        if underrunStreak * configuration.frameMs > 500 {
            // The sender paused (hold, DTX): wait for it afresh.
            reset()
            return .silence
        }
        concealed += 1
        return .conceal
    }

    /// After a `.play` with ``pressure``: skips the next frame's playout
    /// slot by handing it over now (the player decodes both and plays this
    /// one), one frame less delay. Nil when that frame is not here.
    public mutating func dropForDelay(nowMicros: Int64) -> Int? {
        guard pressure != .none, let next = find(playTimestamp) else { return nil }
        if settling {
            // Every wait of the window is one frame shorter now: the next
            // frame of the surplus can go in the same pause.
            for i in 0..<waitCount { waits[i] -= Int64(configuration.frameMs) * 1000 }
        } else {
            // Measure afresh before the next drop (a fifth of the window when far above).
            waitCount = pressure == .urgent ? waits.count - waits.count / 5 : 0
        }
        pressure = .none
        droppedForDelay += 1
        recordWait(nowMicros - slotArrival[next])
        slotUsed[next] = false
        playTimestamp &+= UInt32(configuration.frameTicks)
        return next
    }

    /// The bytes of a slot named by ``pull()``; valid until the next insert.
    public func withPayload<R>(slot: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let base = slot * configuration.maxPayload
        return storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[base..<(base + slotLength[slot])])) }
    }

    /// The RTP timestamp held in a slot (tests follow the playout order with it).
    func timestampForTesting(slot: Int) -> UInt32 { slotTimestamp[slot] }

    /// Whether any packet waits to be played.
    public var hasBuffered: Bool { slotUsed.contains(true) }

    /// Forgets everything buffered (stream restart, re-INVITE to a new source).
    public mutating func reset() {
        for i in 0..<slotUsed.count { slotUsed[i] = false }
        started = false
        haveNewest = false
        underrunStreak = 0
        waitCount = 0
        backlogStreak = 0
        pressure = .none
    }

    /// Playout from the target delay behind the newest packet (or the
    /// oldest, if less is buffered); everything older is forgotten.
    private mutating func skipToTarget(oldest: UInt32) {
        let targetTicks = Int64(targetDelayMs) * Int64(configuration.clockRate) / 1000
        let back = UInt32(max(0, (targetTicks / configuration.frameTicks) - 1) * configuration.frameTicks)
        let fromNewest = newestTimestamp &- back
        playTimestamp = Int32(bitPattern: fromNewest &- oldest) > 0 ? fromNewest : oldest
        for i in 0..<slotUsed.count where slotUsed[i] && Int32(bitPattern: slotTimestamp[i] &- playTimestamp) < 0 { slotUsed[i] = false }
    }

    private mutating func recordWait(_ micros: Int64) {
        waits[waitNext] = micros
        waitNext = (waitNext + 1) % waits.count
        waitCount = min(waitCount + 1, waits.count)
    }

    /// The shortest time a packet waited over the last second of playout, ms.
    public var shortestWaitMs: Int {
        guard waitCount > 0 else { return 0 }
        var m = Int64.max
        for i in 0..<waitCount { m = min(m, waits[i]) }
        return Int(m / 1000)
    }

    private mutating func take(_ slot: Int, advanceBy frame: UInt32) -> Action {
        slotUsed[slot] = false
        playTimestamp &+= frame
        underrunStreak = 0
        played += 1
        return .play(slot: slot)
    }

    private func slotIndex(_ ts: UInt32) -> Int {
        Int((ts / UInt32(configuration.frameTicks)) % UInt32(configuration.capacity))
    }

    private func find(_ ts: UInt32) -> Int? {
        let s = slotIndex(ts)
        return slotUsed[s] && slotTimestamp[s] == ts ? s : nil
    }

    private func oldestBuffered() -> UInt32? {
        var oldest: UInt32?
        for i in 0..<slotUsed.count where slotUsed[i] {
            if let o = oldest, Int32(bitPattern: slotTimestamp[i] &- o) >= 0 { continue }
            oldest = slotTimestamp[i]
        }
        return oldest
    }

    private func bufferedSince(_ oldest: UInt32) -> Int {
        let span = Int64(Int32(bitPattern: newestTimestamp &- oldest)) + configuration.frameTicks
        return Int(span * 1000 / Int64(configuration.clockRate))
    }
}
