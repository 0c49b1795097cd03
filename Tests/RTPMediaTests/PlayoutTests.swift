import Testing
@testable import RTPMedia

/// The receive path's frame decisions on a virtual clock: where delay is
/// shed, and that a loss is bridged from both sides when the next frame is here.
@Suite struct PlayoutTests {
    /// 20 ms of a 400 Hz tone (whole cycles at 8 kHz) or silence, A-law.
    static func frame(loud: Bool) -> [UInt8] {
        let pcm = (0..<160).map { n in loud ? Int16(6000 * sin400(n)) : 0 }
        var payload = [UInt8](repeating: 0, count: 160)
        pcm.withUnsafeBufferPointer { p in payload.withUnsafeMutableBytes { _ = G711.encode(.a, p, into: $0) } }
        return payload
    }

    static func sin400(_ n: Int) -> Double {
        // sin(2π·400·n/8000) by a short series on the reduced angle (no Foundation here).
        var x = Double(n % 20) / 20 * 2 * Double.pi
        if x > Double.pi { x -= 2 * Double.pi }
        var term = x, sum = x
        for k in 1..<12 { term *= -x * x / Double((2 * k) * (2 * k + 1)); sum += term }
        return sum
    }

    /// A steady 30 ms network; the player stalls 200 ms at 3 s (ten frames
    /// pile up), then the buffer sheds them. `loud(k)`: frame k is speech.
    static func run(seconds: Int, loud: (Int) -> Bool) -> (loudIn: Int, loudOut: Int, dropped: Int, concealed: Int) {
        let playout = Playout(codec: G711Codec(law: .a), jitter: .init(clockRate: 8000))
        let speech = frame(loud: true), pause = frame(loud: false)
        var out = [Int16](repeating: 0, count: 160)
        var loudIn = 0, loudOut = 0, concealed = 0, sent = 0
        var t = 5.0
        while t < Double(seconds * 1000) {
            while Double(sent) * 20 + 30 <= t {
                let p = loud(sent) ? speech : pause
                if loud(sent) { loudIn += 1 }
                p.withUnsafeBytes { playout.insert(timestamp: UInt32(sent * 160), payload: $0, arrivalMicros: Int64((Double(sent) * 20 + 30) * 1000)) }
                sent += 1
            }
            if !(3000..<3200).contains(t) {
                let o = out.withUnsafeMutableBufferPointer { playout.play(into: $0, nowMicros: Int64(t * 1000), noiseLevel: 127) }
                if o == .concealed { concealed += 1 }
                if out.withUnsafeBufferPointer({ Playout.rms($0) }) > 1000 { loudOut += 1 }
            }
            t += 20
        }
        // Frames still queued at the end are neither played nor dropped: count what was sent in time to play.
        let queued = playout.jitter.bufferedMs / 20
        return (loudIn - (0..<queued).filter { loud(sent - 1 - $0) }.count, loudOut, playout.jitter.droppedForDelay, concealed)
    }

    @Test func delayIsShedInThePausesBetweenWords() {
        // 400 ms of speech, 200 ms of pause.
        let r = Self.run(seconds: 20) { k in k % 30 < 20 }
        #expect(r.dropped >= 5, "the 200 ms backlog was not shed: \(r)")
        #expect(r.concealed == 0)
        // Every speech frame sent was played: the drops all fell in pauses.
        #expect(abs(r.loudOut - r.loudIn) <= 1, "\(r)")
    }

    /// A calm network: the start delay's surplus (80 ms down to the 20 ms
    /// minimum) goes in the first real pause, not in the quiet frames
    /// between syllables, where a skip is heard.
    @Test func theStartDelayGoesInARealPauseNotBetweenSyllables() {
        let playout = Playout(codec: G711Codec(law: .a), jitter: .init(clockRate: 8000))
        let speech = Self.frame(loud: true), quiet = Self.frame(loud: false)
        // Syllables of 160 ms with 40 ms gaps; a 300 ms pause at frames 150..<165.
        let loud = { (k: Int) in !(150..<165).contains(k) && k % 10 < 8 }
        var out = [Int16](repeating: 0, count: 160)
        var dropsAt: [Double] = [], sent = 0, loudIn = 0, loudOut = 0
        var t = 5.0
        while t < 5000 {
            while Double(sent) * 20 + 30 <= t {
                if loud(sent) { loudIn += 1 }
                (loud(sent) ? speech : quiet).withUnsafeBytes { playout.insert(timestamp: UInt32(sent * 160), payload: $0, arrivalMicros: Int64((Double(sent) * 20 + 30) * 1000)) }
                sent += 1
            }
            let before = playout.jitter.droppedForDelay
            _ = out.withUnsafeMutableBufferPointer { playout.play(into: $0, nowMicros: Int64(t * 1000), noiseLevel: 127) }
            if out.withUnsafeBufferPointer({ Playout.rms($0) }) > 1000 { loudOut += 1 }
            if playout.jitter.droppedForDelay > before { dropsAt.append(t) }
            t += 20
        }
        // The pause plays from about 3.0 s (sent at 3.0 s, 30 ms of network, up to 80 ms of buffer).
        #expect(dropsAt.count >= 3, "the start delay was not shed: \(dropsAt)")
        #expect(dropsAt.allSatisfy { $0 > 3000 && $0 < 3450 }, "dropped outside the pause: \(dropsAt)")
        #expect(!playout.jitter.settling && playout.jitter.bufferedMs <= 40, "buffered \(playout.jitter.bufferedMs) ms")
        let queued = playout.jitter.bufferedMs / 20
        #expect(loudOut == loudIn - (0..<queued).filter { loud(sent - 1 - $0) }.count)
    }

    @Test func withoutPausesSpeechFramesGoAfterTwoSeconds() {
        // Continuous speech: the delay must still come down, so speech frames go.
        let r = Self.run(seconds: 20) { _ in true }
        #expect(r.dropped >= 3, "\(r)")
        #expect(r.loudOut <= r.loudIn - 3, "\(r)")
    }

    /// A lost G.711 frame with its successor already buffered is bridged
    /// from both sides: the concealed frame ends on the next frame's signal.
    @Test func lossIsBridgedIntoTheNextFrame() {
        let playout = Playout(codec: G711Codec(law: .a), jitter: .init(clockRate: 8000))
        let speech = Self.frame(loud: true)
        var out = [Int16](repeating: 0, count: 160)
        var outcomes: [Playout.Outcome] = []
        var last: [Int16] = []
        for k in 0..<40 {
            if k != 20 { speech.withUnsafeBytes { playout.insert(timestamp: UInt32(k * 160), payload: $0, arrivalMicros: Int64(k * 20_000)) } }
            if k >= 2 {
                outcomes.append(out.withUnsafeMutableBufferPointer { playout.play(into: $0, nowMicros: Int64(k * 20_000 + 5000), noiseLevel: 127) })
                if outcomes.last == .recovered { last = out }
            }
        }
        #expect(outcomes.filter { $0 == .recovered }.count == 1, "\(outcomes)")
        // The tone continues through the gap at full level, in phase with what follows.
        let rms = last.withUnsafeBufferPointer { Playout.rms($0) }
        #expect(rms > 3000, "bridged frame RMS \(rms)")
        let expected = Int16(6000 * Self.sin400(159))
        #expect(abs(Int(last[159]) - Int(expected)) < 700, "end of the bridged frame \(last[159]) vs \(expected)")
    }
}
