import Testing
@testable import RTPMedia

/// Scripted networks against the pure jitter buffer: a sender clock, a
/// transit-time function, and a player pulling every 20 ms of its own clock.
@Suite struct JitterBufferTests {
    struct Outcome {
        var played = 0, concealed = 0, recovered = 0, late = 0, duplicates = 0, dropped = 0, underruns = 0, caughtUp = 0
        /// Time each played packet waited in the buffer (pull − arrival), ms, after the first `warmUp` seconds.
        var delays: [Double] = []
        /// Sending to playout (pull − send), ms: network plus buffer.
        var latencies: [Double] = []
        var targets: [Int] = []
        var order: [UInt32] = []
        /// Still holding the start delay's surplus at the end.
        var settling = false
    }

    /// `transitMs(k)`: network delay of packet k, nil = lost; `senderPPM`:
    /// how much faster the sender's clock runs than the player's.
    /// `playerStall`: a time (ms) the player does not pull at all (a stalled
    /// audio device), packets piling up meanwhile.
    static func simulate(seconds: Double, senderPPM: Double = 0, warmUp: Double = 3, duplicateEvery: Int = 0, startDelayMs: Int = 80,
                         playerStall: Range<Double>? = nil, transitMs: (Int) -> Double?) -> Outcome {
        var jb = JitterBuffer(.init(clockRate: 8000, startDelayMs: startDelayMs))
        let packets = Int(seconds * 50)
        // Arrivals sorted by time (reordering falls out of the transit function).
        var arrivals: [(at: Double, ts: UInt32)] = []
        var sentAt: [UInt32: Double] = [:]
        for k in 0..<packets {
            guard let t = transitMs(k) else { continue }
            let sent = Double(k) * 20 / (1 + senderPPM / 1e6)
            sentAt[UInt32(truncatingIfNeeded: 1000 + k * 160)] = sent
            arrivals.append((sent + t, UInt32(truncatingIfNeeded: 1000 + k * 160)))
            if duplicateEvery > 0 && k % duplicateEvery == 0 { arrivals.append((sent + t + 1, UInt32(truncatingIfNeeded: 1000 + k * 160))) }
        }
        arrivals.sort { $0.at < $1.at }
        var arrivalOf: [UInt32: Double] = [:]
        var out = Outcome()
        var next = 0
        let payload = [UInt8](repeating: 0xD5, count: 160)
        var pull = 7.0 // the player's phase against the sender's is arbitrary
        while pull < seconds * 1000 {
            while next < arrivals.count && arrivals[next].at <= pull {
                let a = arrivals[next]
                if arrivalOf[a.ts] == nil { arrivalOf[a.ts] = a.at }
                let v = payload.withUnsafeBytes { jb.insert(timestamp: a.ts, payload: $0, arrivalMicros: Int64(a.at * 1000)) }
                if v == .duplicate { out.duplicates += 1 }
                next += 1
            }
            if let stall = playerStall, stall.contains(pull) {
                pull += 20
                continue
            }
            switch jb.pull(nowMicros: Int64(pull * 1000)) {
            case .play(var slot):
                // The player sheds delay where the buffer asks (every frame counts as quiet here).
                if jb.pressure != .none, let next = jb.dropForDelay(nowMicros: Int64(pull * 1000)) { slot = next }
                let ts = jb.withPayload(slot: slot) { _ in jbTimestamp(jb, slot) }
                out.order.append(ts)
                if pull > warmUp * 1000, let at = arrivalOf[ts], let sent = sentAt[ts] {
                    out.delays.append(pull - at)
                    out.latencies.append(pull - sent)
                }
            case .recover, .conceal, .silence:
                break
            }
            if pull > warmUp * 1000 { out.targets.append(jb.targetDelayMs) }
            pull += 20
        }
        out.played = jb.played; out.concealed = jb.concealed; out.recovered = jb.recovered
        out.late = jb.late; out.dropped = jb.droppedForDelay; out.underruns = jb.underruns; out.caughtUp = jb.caughtUp
        out.settling = jb.settling
        return out
    }

    static func jbTimestamp(_ jb: JitterBuffer, _ slot: Int) -> UInt32 { jb.timestampForTesting(slot: slot) }

    /// A reproducible uniform draw in 0..<1 per packet index.
    static func noise(_ k: Int, _ seed: UInt64 = 1) -> Double {
        var z = UInt64(k) &+ seed &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }

    static func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(v.count, 1)) }

    @Test func cleanNetworkKeepsTheDelayLow() {
        let o = Self.simulate(seconds: 30) { k in 30 + Self.noise(k) * 2 }
        let m = Self.mean(o.delays)
        #expect(m >= 10 && m <= 40, "mean playout delay \(m) ms")
        #expect(o.concealed == 0 && o.late == 0)
        #expect(o.order == o.order.sorted())
    }

    /// 40 ± 20 ms of jitter from the very first packet: the start delay
    /// covers it, where starting at the minimum found it by underruns, each
    /// one a concealed frame in the first words.
    @Test func theStartDelayCoversJitterBeforeItIsMeasured() {
        let jitter = { (k: Int) -> Double? in 20 + Self.noise(k, 3) * 40 }
        let guarded = Self.simulate(seconds: 3, warmUp: 0, transitMs: jitter)
        let bare = Self.simulate(seconds: 3, warmUp: 0, startDelayMs: 20, transitMs: jitter)
        print("jitter buffer start under 40±20 ms: underruns \(guarded.underruns) from 80 ms, \(bare.underruns) from 20 ms")
        #expect(guarded.underruns == 0 && guarded.concealed == 0, "\(guarded.underruns) underruns")
        #expect(bare.underruns >= 2, "the minimum start should underrun here (else this test shows nothing): \(bare.underruns)")
    }

    /// On a calm network the start delay's surplus goes in the first
    /// second or two (one frame at a time, with one frame of margin), and
    /// nothing underruns for it.
    @Test func theStartDelayIsShedOnACalmNetwork() {
        let o = Self.simulate(seconds: 4, warmUp: 2.5) { k in 30 + Self.noise(k) * 2 }
        let m = Self.mean(o.delays)
        #expect(o.dropped >= 2 && o.underruns == 0 && o.concealed == 0, "dropped \(o.dropped), underruns \(o.underruns)")
        #expect(m <= 20, "waited \(m) ms in the buffer after 2.5 s")
        #expect(!o.settling)
    }

    /// The first packets bunched by jitter (a frame beyond the start
    /// delay) are all played — skipping one cut the first syllable —
    /// while a backlog beyond the maximum delay (400 ms piled up during
    /// call set-up) is skipped to the target behind the newest.
    @Test func bunchedFirstPacketsArePlayedAndASetUpBacklogIsSkipped() {
        func firstPlayed(bunch: Int) -> (first: UInt32?, skipped: Int) {
            var jb = JitterBuffer(.init(clockRate: 8000))
            let payload = [UInt8](repeating: 0xD5, count: 160)
            for k in 0..<bunch {
                _ = payload.withUnsafeBytes { jb.insert(timestamp: UInt32(1000 + k * 160), payload: $0, arrivalMicros: 100_000) }
            }
            guard case .play(let slot) = jb.pull(nowMicros: 105_000) else { return (nil, 0) }
            let ts = Self.jbTimestamp(jb, slot)
            return (ts, Int(ts - 1000) / 160)
        }
        let bunched = firstPlayed(bunch: 5), backlog = firstPlayed(bunch: 20)
        #expect(bunched.first == 1000, "five bunched packets (100 ms against the 80 ms start): skipped \(bunched.skipped)")
        // The bunch reads as 380 ms of jitter: the target is the 300 ms maximum, 15 frames kept.
        #expect(backlog.skipped == 5, "twenty frames of backlog: skipped \(backlog.skipped)")
    }

    @Test func delayGrowsUnderJitterAndShrinksWhenCalm() {
        // 40 ± 20 ms transit for 30 s, then a clean network for 30 s.
        let o = Self.simulate(seconds: 60) { k in k < 1500 ? 20 + Self.noise(k) * 40 : 30 + Self.noise(k) * 2 }
        let jittery = Array(o.targets[100..<1300]), calm = Array(o.targets[(o.targets.count - 300)...])
        #expect(jittery.min()! >= 40, "target under jitter \(jittery.min()!)…\(jittery.max()!)")
        #expect(calm.max()! <= 40, "target after calm \(calm.max()!)")
        // Few concealments once adapted: well under 2 % of the frames.
        #expect(Double(o.concealed) < 0.02 * Double(o.played))
        // The delay built up under jitter is played out again once calm.
        let during = Self.mean(Array(o.latencies[500..<1200])), after = Self.mean(Array(o.latencies.suffix(300)))
        print("jitter buffer: send-to-playout \(during) ms under 40±20 ms jitter, \(after) ms after calm; frames dropped \(o.dropped)")
        #expect(during >= 60, "latency under jitter \(during) ms")
        #expect(after <= 75 && after < during - 10, "latency after calm \(after) ms")
    }

    /// A 400 ms network stall (20 packets then arrive at once) grows the
    /// delay; once the network is steady again it is played out quickly
    /// (five times faster than ordinary shrinking), not over twenty seconds.
    @Test func delayAfterAStallShrinksQuickly() {
        let o = Self.simulate(seconds: 30, warmUp: 0) { k in
            (500..<520).contains(k) ? 30 + Double(520 - k) * 20 : 30 + Self.noise(k) * 2
        }
        // Latencies are per played packet, in order; packet ~500 is at index ~500.
        let afterStall = Self.mean(Array(o.latencies[530..<560])), settled = Self.mean(Array(o.latencies[(500 + 5 * 50)..<(500 + 6 * 50)]))
        print("jitter buffer: \(afterStall) ms just after a 400 ms stall, \(settled) ms five seconds later")
        #expect(afterStall > 200)
        #expect(settled < 120, "latency five seconds after the stall: \(settled) ms")
    }

    /// The player stalls for 1.2 s (packets keep coming): far beyond the
    /// maximum delay, playout jumps back to the target at once instead of
    /// playing a second-old backlog (seen once in a loaded CI run: 1040 ms
    /// buffered, cleared only by the one-frame-at-a-time rule).
    @Test func backlogAfterAPlayerStallIsSkipped() {
        let o = Self.simulate(seconds: 20, warmUp: 0, playerStall: 8000..<9200) { k in 30 + Self.noise(k) * 2 }
        // Played packets in order; those right after the stall waited > 1 s, then the jump.
        let afterStall = o.latencies.firstIndex { $0 > 1000 }
        let late = try! #require(afterStall)
        let settled = Self.mean(Array(o.latencies[(late + 10)..<(late + 60)]))
        print("jitter buffer: \(o.latencies[late]) ms right after a 1.2 s player stall, \(settled) ms 200 ms later")
        #expect(settled < 100, "latency after the stall: \(settled) ms")
        #expect(o.order == o.order.sorted())
    }

    /// A burst of ten lost packets (200 ms) on a clean network: the
    /// underrun conceals while nothing later comes, and once later packets
    /// show the frames were lost, those concealed frames count for them —
    /// the delay after the burst is what it was before, not 180 ms more
    /// (the runaway delay seen in a loaded CI run began this way).
    @Test func aBurstLossAddsNoDelay() throws {
        let o = Self.simulate(seconds: 20, warmUp: 0) { k in (500..<510).contains(k) ? nil : 30 + Self.noise(k) * 2 }
        func latency(ofPacket k: Int) throws -> Double {
            let i = try #require(o.order.firstIndex(of: UInt32(1000 + k * 160)))
            return o.latencies[i]
        }
        let before = try (480..<500).map { try latency(ofPacket: $0) }, after = try (511..<530).map { try latency(ofPacket: $0) }
        print("jitter buffer: send-to-playout \(Self.mean(before)) ms before a 200 ms burst loss, \(Self.mean(after)) ms after it")
        #expect(Self.mean(after) < Self.mean(before) + 25, "before \(Self.mean(before)) ms, after \(Self.mean(after)) ms")
        #expect(o.caughtUp >= 8)
        #expect(o.order == o.order.sorted())
    }

    /// 3 % loss on a clean network: once a loss was seen the buffer keeps
    /// two frames, so later losses find the next packet already there (FEC
    /// for Opus, bridging for G.711) instead of first holding the playout
    /// point, which costs a concealed frame and a skip in the speech.
    @Test func lossesAreRecoveredWithoutHolding() {
        let o = Self.simulate(seconds: 30, warmUp: 0) { k in Self.noise(k, 7) * 100 < 3 ? nil : 30 + Self.noise(k) * 2 }
        let lost = (0..<1500).filter { Self.noise($0, 7) * 100 < 3 }.count
        print("jitter buffer: \(lost) lost on a clean network: recovered \(o.recovered), underruns \(o.underruns), shed \(o.dropped)")
        #expect(o.underruns <= 3, "underruns \(o.underruns) for \(lost) losses")
        #expect(o.recovered >= lost - 3)
    }

    /// A packet now and then arriving 25 ms late (a busy sender): each costs
    /// one underrun, and the frame it added is not shed again at once — a
    /// delay that swings up and down is heard as skips, one that stays
    /// 20 ms longer is not.
    @Test func occasionalLatenessDoesNotSwingTheDelay() {
        let o = Self.simulate(seconds: 60, warmUp: 0) { k in k % 75 == 0 ? 55 : 30 + Self.noise(k) * 2 }
        print("jitter buffer: a packet 25 ms late every 1.5 s: underruns \(o.underruns), shed \(o.dropped)")
        #expect(o.dropped <= 2, "shed \(o.dropped) frames, underruns \(o.underruns)")
        #expect(o.underruns <= 3)
    }

    @Test func reorderAndDuplicatesPlayInOrderOnce() {
        // Every 7th packet overtaken by its successor, every 10th duplicated.
        let o = Self.simulate(seconds: 20, duplicateEvery: 10) { k in k % 7 == 0 ? 45 : 30 }
        #expect(o.order == o.order.sorted())
        #expect(Set(o.order).count == o.order.count)
        #expect(o.duplicates > 90)
        #expect(o.concealed <= 2)
    }

    @Test(arguments: [3, 5, 10])
    func lossIsConcealedOrRecovered(_ percent: Int) {
        let o = Self.simulate(seconds: 30) { k in Self.noise(k, 7) * 100 < Double(percent) ? nil : 30 + Self.noise(k) * 4 }
        let lost = (0..<1500).filter { Self.noise($0, 7) * 100 < Double(percent) }.count
        // Each loss becomes a recover (next packet there: FEC for Opus) or a
        // concealment; a loss noticed before anything later arrived also
        // costs an underrun frame (the buffer cannot tell loss from lateness
        // yet), which stands for a lost frame when more than one was held.
        #expect(abs((o.recovered + o.concealed - o.underruns + o.caughtUp) - lost) <= 2,
                "lost \(lost), recovered \(o.recovered), concealed \(o.concealed), underruns \(o.underruns), caught up \(o.caughtUp)")
        #expect(o.played + o.recovered + o.concealed >= 1490)
    }

    /// The sender's clock and the sound card's never agree: 200 ppm either
    /// way over 10 minutes must neither grow the delay nor underrun often.
    @Test(arguments: [200.0, -200.0])
    func clockDriftIsCompensated(_ ppm: Double) {
        let o = Self.simulate(seconds: 600, senderPPM: ppm) { k in 30 + Self.noise(k) * 4 }
        let first = Self.mean(Array(o.latencies.prefix(3000))), last = Self.mean(Array(o.latencies.suffix(3000)))
        #expect(abs(last - first) < 25, "latency drifted from \(first) to \(last) ms")
        #expect(o.latencies.max()! < 110)
        // 200 ppm over 600 s is 120 ms: about six frames to drop or to stretch, not a stream of them.
        #expect(o.dropped + o.underruns <= 20, "dropped \(o.dropped), underruns \(o.underruns)")
        #expect(Double(o.concealed) < 0.005 * Double(o.played))
    }

    @Test func timestampJumpRestartsAndOversizeIsRefused() {
        var jb = JitterBuffer(.init(clockRate: 8000))
        let p = [UInt8](repeating: 1, count: 160)
        for k in 0..<5 { _ = p.withUnsafeBytes { jb.insert(timestamp: UInt32(k * 160), payload: $0, arrivalMicros: Int64(k * 20_000)) } }
        for k in 0..<3 { _ = jb.pull(nowMicros: Int64(k * 20_000 + 40_000)) }
        #expect(p.withUnsafeBytes { jb.insert(timestamp: 5_000_000, payload: $0, arrivalMicros: 120_000) } == .restarted)
        let big = [UInt8](repeating: 0, count: 2000)
        #expect(big.withUnsafeBytes { jb.insert(timestamp: 5_000_160, payload: $0, arrivalMicros: 140_000) } == .tooLarge)
    }

    /// A sender that stops (the far end hung up; its BYE is still on the
    /// way): the open gap's underruns are pending, not yet glitches anyone
    /// heard; a later packet settles them as underruns.
    @Test func underrunsOfAnOpenGapArePending() {
        var jb = JitterBuffer(.init(clockRate: 8000, startDelayMs: 20))
        let p = [UInt8](repeating: 0xD5, count: 160)
        func insert(_ k: Int) { _ = p.withUnsafeBytes { jb.insert(timestamp: UInt32(1000 + k * 160), payload: $0, arrivalMicros: Int64(k * 20_000)) } }
        for k in 0..<20 {
            insert(k)
            _ = jb.pull(nowMicros: Int64(k * 20_000 + 10_000))
        }
        #expect(jb.underruns == 0 && jb.pendingUnderruns == 0)
        // The sender stops: three pulls find nothing.
        for k in 20..<23 { #expect(jb.pull(nowMicros: Int64(k * 20_000 + 10_000)) == .conceal) }
        #expect(jb.underruns == 3 && jb.pendingUnderruns == 3)
        // It comes back: the gap was one, and counts.
        insert(24)
        _ = jb.pull(nowMicros: Int64(24 * 20_000 + 10_000))
        #expect(jb.underruns == 3 && jb.pendingUnderruns == 0)
    }
}
